import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { users } from "../db/schema/users";
import type { Tx } from "../db/tenant";
import type { InboundSettings } from "./inbound-settings";

/**
 * Why the org's "who may open tickets by email" policy refuses this sender a NEW ticket, or null
 * when it admits them (decision 039). `known`: the address is already a user of the org (any
 * role; a blocked user is dropped later as before). `domains`: the address's domain is one of the
 * listed domains or a subdomain of one (like the DMARC-refuse list). Replies are not asked.
 */
export async function openPolicyRefusal(
  tx: Tx,
  orgId: string,
  address: string,
  settings: Pick<InboundSettings, "inboundOpenPolicy" | "inboundOpenDomains">,
): Promise<string | null> {
  const a = address.toLowerCase();
  if (settings.inboundOpenPolicy === "known") {
    const [u] = await tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.orgId, orgId), sql`lower(${users.email}) = ${a}`))
      .limit(1);
    return u ? null : "rejected: the org opens tickets by email only for its known users, and the sender is not one";
  }
  if (settings.inboundOpenPolicy === "domains") {
    const domain = a.split("@")[1] ?? "";
    return settings.inboundOpenDomains.some((d) => domain === d || domain.endsWith(`.${d}`))
      ? null
      : `rejected: the org opens tickets by email only for senders of its listed domains, and ${domain || "the sender's domain"} is not one`;
  }
  return null;
}

/** The id of the org's user with this address, without creating one (a placeholder id when none: it matches no requester). */
export async function existingUserId(tx: Tx, orgId: string, address: string): Promise<string> {
  const [u] = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.orgId, orgId), sql`lower(${users.email}) = ${address.toLowerCase()}`))
    .limit(1);
  return u?.id ?? "00000000-0000-0000-0000-000000000000";
}
