import "server-only";
import { z } from "zod";
import type { Tx } from "../db/tenant";
import type { Ctx } from "../http/route";
import { readOrgSettings, saveOrgSettings } from "./org-settings";
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
  return (await readOrgSettings(tx, orgId))?.showSlaToCustomers === true;
}

/** GET /org/sla-settings (admin). */
export async function getSlaSettings(ctx: Ctx): Promise<SlaSettings> {
  assertCan(ctx.user, "org.admin");
  return { showSlaToCustomers: await showsSlaToCustomers(ctx.tx, ctx.org.id) };
}

/** PUT /org/sla-settings (admin): changes only this key of the settings, audited when it changes. */
export async function updateSlaSettings(ctx: Ctx, input: SlaSettings): Promise<SlaSettings> {
  assertCan(ctx.user, "org.admin");
  const before = (await readOrgSettings(ctx.tx, ctx.org.id, { forUpdate: true }))?.showSlaToCustomers === true;
  await saveOrgSettings(ctx, "org.sla_settings_updated", { showSlaToCustomers: before }, { showSlaToCustomers: input.showSlaToCustomers });
  return { showSlaToCustomers: input.showSlaToCustomers };
}
