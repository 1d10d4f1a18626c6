import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { emailMessageIds, ticketCcs } from "../db/schema/email";
import { tickets } from "../db/schema/tickets";
import type { Tx } from "../db/tenant";
import type { InboundMail } from "./parse-message";

export type Thread = { ticketId: string; number: number; status: string; requesterId: string };

/** What a thread lookup reads of a ticket: the Thread, and where a merge sent it. */
const THREAD_COLUMNS = {
  ticketId: tickets.id,
  number: tickets.number,
  status: tickets.status,
  requesterId: tickets.requesterId,
  mergedIntoId: tickets.mergedIntoId,
};

/**
 * The ticket a message answers, in the org of the transaction (RLS scopes every query; the org
 * filter is written out as well): first the signed reply token, then In-Reply-To / References against the Message-IDs Beacon
 * stored or sent, then a `[#n]` subject tag, which counts only when the sender is that ticket's
 * requester or one of its CCs (anyone can type a ticket number).
 */
export async function findThread(
  tx: Tx,
  orgId: string,
  mail: InboundMail,
  senderId: string,
  tokenNumber: number | null = null,
): Promise<Thread | null> {
  const ids = [...mail.inReplyTo, ...[...mail.references].reverse()].slice(0, 50);
  const row = async (where: ReturnType<typeof eq>) =>
    (
      await tx
        .select(THREAD_COLUMNS)
        .from(tickets)
        .where(and(eq(tickets.orgId, orgId), where))
        .limit(1)
    )[0];
  // A ticket merged into another answers for it (decision 051): mail to the duplicate lands on the target.
  const follow = async (t: Awaited<ReturnType<typeof row>>): Promise<Thread | undefined> => {
    for (let hop = 0; t?.mergedIntoId && hop < 10; hop++) t = (await row(eq(tickets.id, t.mergedIntoId))) ?? t;
    return t && { ticketId: t.ticketId, number: t.number, status: t.status, requesterId: t.requesterId };
  };
  const load = async (where: ReturnType<typeof eq>): Promise<Thread | undefined> => follow(await row(where));

  // First the reply token (decision 031), already verified for this org by the caller.
  if (tokenNumber !== null) {
    const t = await load(sql`${tickets.number} = ${tokenNumber}`);
    if (t) return t;
  }
  if (ids.length) {
    // The ticket of the first of those ids that Beacon knows (In-Reply-To first, then the newest
    // reference), read with it in one statement.
    const [hit] = await tx
      .select(THREAD_COLUMNS)
      .from(emailMessageIds)
      .innerJoin(tickets, and(eq(tickets.orgId, emailMessageIds.orgId), eq(tickets.id, emailMessageIds.ticketId)))
      .where(and(eq(emailMessageIds.orgId, orgId), inArray(emailMessageIds.messageId, ids)))
      .orderBy(sql`array_position(${sql.param(ids)}::text[], ${emailMessageIds.messageId})`)
      .limit(1);
    const t = await follow(hit);
    if (t) return t;
  }
  const tag = /\[#(\d{1,9})\]/.exec(mail.subject);
  if (tag) {
    // The sender must be a participant of the ticket the tag names (before following a merge).
    const t = await row(sql`${tickets.number} = ${Number(tag[1])}`);
    if (t && (t.requesterId === senderId || (await isCc(tx, orgId, t.ticketId, mail.from!.address))))
      return (await follow(t)) ?? null;
    const followed = await follow(t);
    if (
      followed &&
      followed.ticketId !== t?.ticketId &&
      (followed.requesterId === senderId || (await isCc(tx, orgId, followed.ticketId, mail.from!.address)))
    )
      return followed;
  }
  return null;
}

async function isCc(tx: Tx, orgId: string, ticketId: string, address: string): Promise<boolean> {
  const r = await tx
    .select({ e: ticketCcs.email })
    .from(ticketCcs)
    .where(and(eq(ticketCcs.orgId, orgId), eq(ticketCcs.ticketId, ticketId), eq(ticketCcs.email, address)))
    .limit(1);
  return r.length > 0;
}
