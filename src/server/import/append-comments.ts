import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, inArray, sql } from "drizzle-orm";
import { attachments, comments, tickets } from "../db/schema/tickets";
import { emailMessageIds } from "../db/schema/email";
import type { Tx } from "../db/tenant";
import type { AuditInput } from "../audit/record-audit";
import { auditImported, type BatchContext, type BatchRecord } from "./batch";
import { mappedIds, recordIds } from "./id-map";
import type { ImportedComment } from "./imported-ticket";
import { sampleAddComment } from "./ticket-sample";
import { commentRows, insertComments } from "./imported-comments";
import type { TicketRefs } from "./write-imported-tickets";

export type CommentItem = { rec: BatchRecord; ticketRef: string; comment: ImportedComment };

/**
 * Comments that come apart from their tickets (a Freshdesk conversations file, a CSV's later rows
 * of a ticket), added to tickets an earlier batch imported. Each is written once (the id map),
 * with its author, visibility, time and attachments, and its own "comment.imported" audit event;
 * the comment trigger adds its text to the ticket's search vector as a new comment does.
 */
export async function appendComments(
  tx: Tx,
  ctx: BatchContext,
  items: CommentItem[],
  people: TicketRefs["people"],
): Promise<void> {
  const { space, tally, file } = ctx;
  const seen = new Set<string>();
  const skipWith = (p: CommentItem, reason: string) => {
    const at = { file, record: p.rec.index };
    tally.skip("comment", { ...at, sourceId: p.comment.id }, reason);
    for (const a of p.comment.attachments)
      tally.skip("attachment", { ...at, sourceId: a.id }, `its comment: ${reason}`);
  };
  const unique = items.filter((p) => {
    const dup = seen.has(p.comment.id);
    seen.add(p.comment.id);
    if (dup) skipWith(p, "duplicate in the source");
    return !dup;
  });
  const known = await mappedIds(
    tx,
    space,
    "comment",
    unique.map((p) => p.comment.id),
  );
  for (const p of unique.filter((p) => known.has(p.comment.id))) {
    tally.add("comment", "existing");
    tally.add("attachment", "existing", p.comment.attachments.length);
  }
  const fresh = unique.filter((p) => !known.has(p.comment.id));
  if (!fresh.length) return;
  const ticketIds = await mappedIds(
    tx,
    space,
    "ticket",
    fresh.map((p) => p.ticketRef),
  );
  const placed = fresh.filter((p) => {
    if (!ticketIds.has(p.ticketRef)) skipWith(p, "its ticket was not imported");
    return ticketIds.has(p.ticketRef);
  });
  if (!placed.length) return;
  const requesters = new Map(
    (
      await tx
        .select({ id: tickets.id, requesterId: tickets.requesterId })
        .from(tickets)
        .where(and(eq(tickets.orgId, space.orgId), inArray(tickets.id, [...new Set(ticketIds.values())])))
    ).map((t) => [t.id, t.requesterId]),
  );
  const authors = await people(
    tx,
    ctx,
    placed.flatMap((p) => (p.comment.authorRef ? [p.comment.authorRef] : [])),
  );
  const commentInserts: (typeof comments.$inferInsert)[] = [];
  const attachmentInserts: (typeof attachments.$inferInsert)[] = [];
  const messageIds: (typeof emailMessageIds.$inferInsert)[] = [];
  const commentPairs: [string, string][] = [];
  const attachmentPairs: [string, string][] = [];
  const audits: AuditInput[] = [];
  const responses: { ticketId: string; at: Date }[] = [];
  for (const p of placed) {
    const ticketId = ticketIds.get(p.ticketRef)!;
    const requesterId = requesters.get(ticketId)!;
    const author = (p.comment.authorRef && authors.get(p.comment.authorRef)) || { id: requesterId, role: "customer" };
    const commentId = randomUUID();
    const rows = commentRows(ctx, { ticketId, commentId, authorId: author.id, record: p.rec.index }, p.comment);
    commentInserts.push(rows.comment);
    if (rows.messageId) messageIds.push(rows.messageId);
    for (const a of rows.attachments) {
      attachmentInserts.push(a.row);
      attachmentPairs.push(a.pair);
    }
    commentPairs.push([p.comment.id, commentId]);
    if (p.comment.public && author.id !== requesterId && author.role !== "customer")
      responses.push({ ticketId, at: p.comment.createdAt });
    audits.push({
      action: "comment.imported",
      entityType: "ticket",
      entityId: ticketId,
      data: {
        importId: space.importId,
        source: space.sourceKind,
        sourceId: p.comment.id,
        ticketSourceId: p.ticketRef,
        commentId,
        internal: !p.comment.public,
        attachments: rows.attachments.length,
      },
    });
    sampleAddComment(tally, p.ticketRef, {
      public: p.comment.public,
      attachments: p.comment.attachments.length,
    });
    tally.add("comment", "imported");
  }
  await insertComments(tx, commentInserts);
  if (attachmentInserts.length) await tx.insert(attachments).values(attachmentInserts);
  if (messageIds.length) await tx.insert(emailMessageIds).values(messageIds).onConflictDoNothing();
  // An agent's public reply older than the ticket's first response recorded so far is its first
  // response: the batch's earliest reply per ticket, all tickets in one statement.
  const earliest = new Map<string, Date>();
  for (const r of responses) {
    const seen = earliest.get(r.ticketId);
    if (!seen || r.at < seen) earliest.set(r.ticketId, r.at);
  }
  if (earliest.size)
    await tx.execute(
      sql`update tickets t set first_response_at = least(coalesce(t.first_response_at, r.at), r.at)
          from jsonb_to_recordset(${JSON.stringify([...earliest].map(([id, at]) => ({ id, at: at.toISOString() })))}::jsonb) as r(id uuid, at timestamptz)
          where t.org_id = ${space.orgId} and t.id = r.id`,
    );
  await recordIds(tx, space, "comment", commentPairs);
  await recordIds(tx, space, "attachment", attachmentPairs);
  await auditImported(tx, ctx.actor, audits);
}
