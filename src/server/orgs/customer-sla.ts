import "server-only";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { orgs } from "../db/schema/orgs";
import type { Tx } from "../db/tenant";
import type { Ctx } from "../http/route";
import { assertCan } from "../tickets/permissions";

// Whether customers see SLA targets (issue 11 item 6). The targets and due times are the team's
// internal commitments; an org may choose to show them, as Zendesk does, but not by default.

export const ZSlaSettings = z.strictObject({
  /** Customers see first-response and resolution targets and due times on their tickets. */
  showSlaToCustomers: z.boolean(),
});
export type SlaSettings = z.infer<typeof ZSlaSettings>;

/** settings.showSlaToCustomers of the org (RLS: only the caller's own org is readable). */
export async function showsSlaToCustomers(tx: Tx, orgId: string): Promise<boolean> {
  const [o] = await tx.select({ settings: orgs.settings }).from(orgs).where(eq(orgs.id, orgId));
  return o?.settings.showSlaToCustomers === true;
}

/** GET /org/sla-settings (admin). */
export async function getSlaSettings(ctx: Ctx): Promise<SlaSettings> {
  assertCan(ctx.user, "org.admin");
  return { showSlaToCustomers: await showsSlaToCustomers(ctx.tx, ctx.org.id) };
}

/** PUT /org/sla-settings (admin): changes only this key of the settings, audited when it changes. */
export async function updateSlaSettings(ctx: Ctx, input: SlaSettings): Promise<SlaSettings> {
  assertCan(ctx.user, "org.admin");
  const [o] = await ctx.tx.select({ settings: orgs.settings }).from(orgs).where(eq(orgs.id, ctx.org.id)).for("update");
  const before = o?.settings.showSlaToCustomers === true;
  if (input.showSlaToCustomers !== before) {
    await ctx.tx
      .update(orgs)
      .set({ settings: sql`${orgs.settings} || ${JSON.stringify({ showSlaToCustomers: input.showSlaToCustomers })}::jsonb`, updatedAt: sql`now()` })
      .where(eq(orgs.id, ctx.org.id));
    await recordAudit(ctx.tx, { orgId: ctx.org.id, actorId: ctx.user.userId, requestId: ctx.requestId }, {
      action: "org.sla_settings_updated",
      entityType: "org",
      entityId: ctx.org.id,
      data: { changes: { showSlaToCustomers: { from: before, to: input.showSlaToCustomers } } },
    });
  }
  return { showSlaToCustomers: input.showSlaToCustomers };
}
