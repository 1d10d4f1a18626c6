import "server-only";
import type { Tx } from "../db/tenant";
import { readOrgSettings } from "../orgs/org-settings";
import type { OrgSettings } from "../db/schema/orgs";

/** Default of the per-sender hourly cap on new tickets by email (decision 035). */
export const DEFAULT_INBOUND_TICKETS_PER_SENDER_PER_HOUR = 20;

export const INBOUND_OPEN_POLICIES = ["anyone", "known", "domains"] as const;
export type InboundOpenPolicy = (typeof INBOUND_OPEN_POLICIES)[number];

export type InboundSettings = {
  ticketsPerSenderPerHour: number;
  dmarcRefuseDomains: string[];
  inboundOpenPolicy: InboundOpenPolicy;
  inboundOpenDomains: string[];
};

/** The org's inbound-mail settings with their defaults filled in. */
export async function inboundSettings(tx: Tx, orgId: string): Promise<InboundSettings> {
  return inboundSettingsOf(await readOrgSettings(tx, orgId));
}

/** The same, from settings already read (the inbound apply reads them with the message's row). */
export function inboundSettingsOf(s: OrgSettings | null | undefined): InboundSettings {
  const cap = s?.inboundTicketsPerSenderPerHour;
  return {
    ticketsPerSenderPerHour:
      typeof cap === "number" && Number.isInteger(cap) && cap >= 1 ? cap : DEFAULT_INBOUND_TICKETS_PER_SENDER_PER_HOUR,
    dmarcRefuseDomains: (s?.dmarcRefuseDomains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean),
    inboundOpenPolicy: INBOUND_OPEN_POLICIES.includes(s?.inboundOpenPolicy as InboundOpenPolicy)
      ? s!.inboundOpenPolicy!
      : "anyone",
    inboundOpenDomains: (s?.inboundOpenDomains ?? []).map((d) => d.trim().toLowerCase()).filter(Boolean),
  };
}
