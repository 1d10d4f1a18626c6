import "server-only";
import { z } from "zod";
import { assertCan } from "../authz/permissions";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { readOrgSettings, saveOrgSettings } from "../orgs/org-settings";
import { INBOUND_OPEN_POLICIES, inboundSettings } from "./inbound-settings";

// The org's inbound-mail settings an admin changes on /admin/email (decision 035): the hourly cap
// on new tickets per sender, the sender domains whose mail failing DMARC is refused, and who may open
// tickets by email (decision 039).

const ZDomain = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, {
    message: "must be a domain name like example.com",
  });
export const ZEmailSettings = z.object({
  ticketsPerSenderPerHour: z.number().int(),
  dmarcRefuseDomains: z.array(z.string()),
  inboundOpenPolicy: z.enum(INBOUND_OPEN_POLICIES),
  inboundOpenDomains: z.array(z.string()),
});
export const ZUpdateEmailSettings = z.strictObject({
  ticketsPerSenderPerHour: z.number().int().min(1).max(10_000).optional(),
  dmarcRefuseDomains: z.array(ZDomain).max(100).optional(),
  inboundOpenPolicy: z.enum(INBOUND_OPEN_POLICIES).optional(),
  inboundOpenDomains: z.array(ZDomain).max(100).optional(),
});
export type UpdateEmailSettings = z.infer<typeof ZUpdateEmailSettings>;

export async function getEmailSettings(scope: Scope): Promise<z.infer<typeof ZEmailSettings>> {
  assertCan(scope.user, "org.admin");
  return inboundSettings(scope.tx, scope.user.orgId);
}

export async function updateEmailSettings(
  scope: Scope,
  input: UpdateEmailSettings,
): Promise<z.infer<typeof ZEmailSettings>> {
  assertCan(scope.user, "org.admin");
  const was = (await readOrgSettings(scope.tx, scope.user.orgId, { forUpdate: true })) ?? { slaWarningMinutes: 15 };
  const next = {
    inboundTicketsPerSenderPerHour: input.ticketsPerSenderPerHour ?? was.inboundTicketsPerSenderPerHour,
    dmarcRefuseDomains: sameOr(input.dmarcRefuseDomains, was.dmarcRefuseDomains),
    inboundOpenPolicy: input.inboundOpenPolicy ?? was.inboundOpenPolicy,
    inboundOpenDomains: sameOr(input.inboundOpenDomains, was.inboundOpenDomains),
  };
  // "domains" with no domain would refuse every new conversation: almost surely a mistake.
  if ((next.inboundOpenPolicy ?? "anyone") === "domains" && (next.inboundOpenDomains ?? []).length === 0) {
    throw new AppError("validation_failed", "inboundOpenDomains: add at least one domain, or choose another policy", {
      issues: [
        {
          in: "body",
          path: "inboundOpenDomains",
          message: "needs at least one domain when only listed domains may open tickets",
        },
      ],
    });
  }
  const { inboundTicketsPerSenderPerHour, dmarcRefuseDomains, inboundOpenPolicy, inboundOpenDomains } = was;
  await saveOrgSettings(
    scope,
    "org.email_settings_changed",
    { inboundTicketsPerSenderPerHour, dmarcRefuseDomains, inboundOpenPolicy, inboundOpenDomains },
    next,
  );
  return inboundSettings(scope.tx, scope.user.orgId);
}

/** A domain list, deduplicated and sorted; the same list again keeps the stored array itself, so saveOrgSettings sees no change. */
function sameOr(input: string[] | undefined, was: string[] | undefined): string[] | undefined {
  if (input === undefined) return was;
  const domains = [...new Set(input)].sort();
  return JSON.stringify(domains) === JSON.stringify(was ?? []) ? was : domains;
}
