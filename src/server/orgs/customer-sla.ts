import "server-only";
import { z } from "zod";
import type { Tx } from "../db/tenant";
import type { Scope } from "../core/scope";
import { readOrgSettings, saveOrgSettings } from "./org-settings";
import { assertCan } from "../authz/permissions";

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
export async function getSlaSettings(scope: Scope): Promise<SlaSettings> {
  assertCan(scope.user, "org.admin");
  return { showSlaToCustomers: await showsSlaToCustomers(scope.tx, scope.user.orgId) };
}

/** PUT /org/sla-settings (admin): changes only this key of the settings, audited when it changes. */
export async function updateSlaSettings(scope: Scope, input: SlaSettings): Promise<SlaSettings> {
  assertCan(scope.user, "org.admin");
  const before = (await readOrgSettings(scope.tx, scope.user.orgId, { forUpdate: true }))?.showSlaToCustomers === true;
  await saveOrgSettings(
    scope,
    "org.sla_settings_updated",
    { showSlaToCustomers: before },
    { showSlaToCustomers: input.showSlaToCustomers },
  );
  return { showSlaToCustomers: input.showSlaToCustomers };
}
