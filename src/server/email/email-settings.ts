import "server-only";
import { z } from "zod";
import { assertCan } from "../authz/permissions";
import type { Scope } from "../core/scope";
import { readOrgSettings, saveOrgSettings } from "../orgs/org-settings";
import { inboundSettings } from "./inbound-settings";

// The org's inbound-mail settings an admin changes on /admin/email (decision 035): the hourly cap
// on new tickets per sender, and the sender domains whose mail failing DMARC is refused.

const ZDomain = z.string().trim().toLowerCase().min(1).max(253).regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, { message: "must be a domain name like example.com" });
export const ZEmailSettings = z.object({ ticketsPerSenderPerHour: z.number().int(), dmarcRefuseDomains: z.array(z.string()) });
export const ZUpdateEmailSettings = z.strictObject({
  ticketsPerSenderPerHour: z.number().int().min(1).max(10_000).optional(),
  dmarcRefuseDomains: z.array(ZDomain).max(100).optional(),
});
export type UpdateEmailSettings = z.infer<typeof ZUpdateEmailSettings>;

export async function getEmailSettings(scope: Scope): Promise<z.infer<typeof ZEmailSettings>> {
  assertCan(scope.user, "org.admin");
  return inboundSettings(scope.tx, scope.user.orgId);
}

export async function updateEmailSettings(scope: Scope, input: UpdateEmailSettings): Promise<z.infer<typeof ZEmailSettings>> {
  assertCan(scope.user, "org.admin");
  const was = (await readOrgSettings(scope.tx, scope.user.orgId, { forUpdate: true })) ?? { slaWarningMinutes: 15 };
  const domains = input.dmarcRefuseDomains ? [...new Set(input.dmarcRefuseDomains)].sort() : undefined;
  const sameDomains = domains !== undefined && JSON.stringify(domains) === JSON.stringify(was.dmarcRefuseDomains ?? []);
  const next = {
    inboundTicketsPerSenderPerHour: input.ticketsPerSenderPerHour ?? was.inboundTicketsPerSenderPerHour,
    // The same list again keeps the stored array itself, so saveOrgSettings sees no change.
    dmarcRefuseDomains: domains === undefined || sameDomains ? was.dmarcRefuseDomains : domains,
  };
  await saveOrgSettings(scope, "org.email_settings_changed", { inboundTicketsPerSenderPerHour: was.inboundTicketsPerSenderPerHour, dmarcRefuseDomains: was.dmarcRefuseDomains }, next);
  return inboundSettings(scope.tx, scope.user.orgId);
}
