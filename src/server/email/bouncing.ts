import "server-only";
import { and, eq, inArray, isNotNull, sql, type SQL } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit";
import { emailMessageIds, ticketCcs } from "../db/schema/email";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import type { Tx } from "../db/tenant";
import type { DeliveryReport } from "./dsn";

// Bouncing addresses (decision 035). A delivery report about a message this org sent marks the
// failed recipients as bouncing, on the org's user and on the ticket's CC row; replies and
// notifications to a bouncing address are not sent until the mark clears, which it does when that
// person writes in again (mail from the address proves it works).

export type BounceResult = { ticketId: string | null; marked: string[]; reason: string };

/**
 * Applies a delivery report in the org's transaction. Only a report about a Message-ID this org
 * sent counts (found in its own email_message_ids, so another org's Message-ID finds nothing), and
 * only for that ticket's requester and CCs: a forged report cannot silence an arbitrary customer.
 */
export async function applyDeliveryReport(
  tx: Tx,
  orgId: string,
  report: DeliveryReport,
  requestId: string,
): Promise<BounceResult> {
  if (report.failed.length === 0)
    return { ticketId: null, marked: [], reason: "delivery delayed or not failed for good: nothing marked" };
  const [sent] = report.aboutMessageIds.length
    ? await tx
        .select({ ticketId: emailMessageIds.ticketId })
        .from(emailMessageIds)
        .where(
          and(
            eq(emailMessageIds.orgId, orgId),
            eq(emailMessageIds.direction, "outbound"),
            inArray(emailMessageIds.messageId, report.aboutMessageIds),
          ),
        )
        .limit(1)
    : [];
  if (!sent) return { ticketId: null, marked: [], reason: "bounce of a message this org did not send: nothing marked" };
  const ticketId = sent.ticketId;
  const [t] = await tx
    .select({ requesterId: tickets.requesterId })
    .from(tickets)
    .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId)));
  const marked: string[] = [];
  for (const f of report.failed.slice(0, 50)) {
    const reason = `${f.status}${f.diagnostic ? ` ${f.diagnostic}` : ""}`.slice(0, 300);
    const cc = await tx
      .update(ticketCcs)
      .set({ bouncingAt: new Date(), bouncingReason: reason })
      .where(and(eq(ticketCcs.orgId, orgId), eq(ticketCcs.ticketId, ticketId), eq(ticketCcs.email, f.address)))
      .returning({ email: ticketCcs.email });
    const isRequester = t
      ? (
          await tx
            .select({ id: users.id })
            .from(users)
            .where(and(eq(users.orgId, orgId), eq(users.id, t.requesterId), sql`lower(${users.email}) = ${f.address}`))
        ).length > 0
      : false;
    if (!cc.length && !isRequester) continue;
    const u = await tx
      .update(users)
      .set({ emailBouncingAt: new Date(), emailBouncingReason: reason })
      .where(and(eq(users.orgId, orgId), sql`lower(${users.email}) = ${f.address}`))
      .returning({ id: users.id });
    for (const x of u) {
      await recordAudit(
        tx,
        { orgId, actorId: null, requestId },
        { action: "user.email_bouncing", entityType: "user", entityId: x.id, data: { ticketId, status: f.status } },
      );
    }
    marked.push(f.address);
  }
  return {
    ticketId,
    marked,
    reason: marked.length
      ? `bounce: ${marked.length} address(es) marked bouncing`
      : "bounce for addresses that are not on the ticket: nothing marked",
  };
}

/** Mail from an address proves it works again: its marks clear, on the user and on every CC row of the org. */
export async function clearBouncing(tx: Tx, orgId: string, address: string): Promise<void> {
  await tx.execute(sql`with ${clearBouncingCtes(orgId, address)} select 1`);
}

/**
 * clearBouncing's two updates as common table expressions (`cleared_user`, `cleared_ccs`), for a
 * statement that makes other writes too: the inbound apply folds them into its last statement.
 */
export function clearBouncingCtes(orgId: string, address: string): SQL {
  const a = address.toLowerCase();
  return sql`cleared_user as (
      update users set email_bouncing_at = null, email_bouncing_reason = null
      where org_id = ${orgId} and lower(email) = ${a} and email_bouncing_at is not null),
    cleared_ccs as (
      update ticket_ccs set bouncing_at = null, bouncing_reason = null
      where org_id = ${orgId} and email = ${a} and bouncing_at is not null)`;
}

/** Which of these addresses bounce in the org (by the user's mark or a CC row's), lower case. */
export async function bouncingAmong(tx: Tx, orgId: string, addresses: string[]): Promise<Set<string>> {
  const list = [...new Set(addresses.map((a) => a.toLowerCase()))];
  if (list.length === 0) return new Set();
  const u = await tx
    .select({ e: sql<string>`lower(${users.email})` })
    .from(users)
    .where(and(eq(users.orgId, orgId), sql`lower(${users.email}) in ${list}`, isNotNull(users.emailBouncingAt)));
  const c = await tx
    .select({ e: ticketCcs.email })
    .from(ticketCcs)
    .where(and(eq(ticketCcs.orgId, orgId), inArray(ticketCcs.email, list), isNotNull(ticketCcs.bouncingAt)));
  return new Set([...u.map((r) => r.e), ...c.map((r) => r.e.toLowerCase())]);
}

export type TicketBouncing = { requester: string | null; ccs: Map<string, string> };

/**
 * The bouncing marks a ticket's staff view shows: the requester's reason and each bouncing CC's.
 * The caller has checked the reader may see the ticket's staff view.
 */
export async function ticketBouncing(tx: Tx, orgId: string, ticketId: string): Promise<TicketBouncing> {
  const [r] = await tx
    .select({ at: users.emailBouncingAt, reason: users.emailBouncingReason })
    .from(tickets)
    .innerJoin(users, and(eq(users.orgId, tickets.orgId), eq(users.id, tickets.requesterId)))
    .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId)));
  const rows = await tx
    .select({ email: ticketCcs.email, reason: ticketCcs.bouncingReason })
    .from(ticketCcs)
    .where(and(eq(ticketCcs.orgId, orgId), eq(ticketCcs.ticketId, ticketId), isNotNull(ticketCcs.bouncingAt)));
  return {
    requester: r?.at ? (r.reason ?? "bouncing") : null,
    ccs: new Map(rows.map((x) => [x.email, x.reason ?? "bouncing"])),
  };
}
