import "server-only";
import { randomUUID } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import type { PgInsertValue } from "drizzle-orm/pg-core";
import { csatRatings, ticketLinks } from "../../db/schema/customers";
import { emailMessageIds } from "../../db/schema/email";
import { slaEvents } from "../../db/schema/sla";
import { attachments, comments, tickets, type CommentEmail } from "../../db/schema/tickets";
import type { Tx } from "../../db/tenant";
import { importedCommentHtml } from "../comment-html";
import type { BatchContext, BatchRecord } from "../batch";
import { recordIds } from "../id-map";
import { freshRows, parseRows, refs, skipRow } from "./parse-rows";
import {
  ts,
  ZAttachmentRow,
  ZCommentRow,
  ZCsatRow,
  ZMessageIdRow,
  ZSlaEventRow,
  ZTicketLinkRow,
  ZTicketMergeRow,
} from "./rows";

/** Merges, now that every ticket exists: a merge whose tickets did not both come in is skipped. */
export async function writeTicketMerges(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRows(ctx, "ticket_merge", recs, ZTicketMergeRow);
  const { ids } = await refs(tx, ctx, {
    ids: ["ticket", parsed.flatMap((p) => [p.value.ticket_id, p.value.merged_into_id])],
  });
  for (const p of parsed) {
    const from = ids.get(p.value.ticket_id);
    const into = ids.get(p.value.merged_into_id);
    if (!from || !into) {
      skipRow(ctx, "ticket_merge", p, "a ticket of the merge was not imported");
      continue;
    }
    // Setting it twice is the same write: a rerun counts it again as already there.
    const r = await tx
      .update(tickets)
      .set({ mergedIntoId: into })
      .where(
        and(
          eq(tickets.orgId, ctx.space.orgId),
          eq(tickets.id, from),
          sql`${tickets.mergedIntoId} is distinct from ${into}`,
        ),
      )
      .returning({ id: tickets.id });
    ctx.tally.add("ticket_merge", r.length ? "imported" : "existing");
  }
}

export async function writeTicketLinks(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRows(ctx, "ticket_link", recs, ZTicketLinkRow);
  const { ids, people } = await refs(tx, ctx, {
    ids: ["ticket", parsed.flatMap((p) => [p.value.ticket_a, p.value.ticket_b])],
    people: ["user", parsed.map((p) => p.value.created_by)],
  });
  const rows: PgInsertValue<typeof ticketLinks>[] = [];
  for (const p of parsed) {
    const a = ids.get(p.value.ticket_a);
    const b = ids.get(p.value.ticket_b);
    if (!a || !b) {
      skipRow(ctx, "ticket_link", p, "a linked ticket was not imported");
      continue;
    }
    // The pair is stored smaller id first; new ids may order the other way.
    rows.push({
      orgId: ctx.space.orgId,
      ticketA: a < b ? a : b,
      ticketB: a < b ? b : a,
      createdBy: (p.value.created_by && people.get(p.value.created_by)) || null,
      createdAt: ts(p.value.created_at)!,
    });
  }
  if (!rows.length) return;
  const written = await tx.insert(ticketLinks).values(rows).onConflictDoNothing().returning({ a: ticketLinks.ticketA });
  ctx.tally.add("ticket_link", "imported", written.length);
  ctx.tally.add("ticket_link", "existing", rows.length - written.length);
}

/**
 * Comments with their author, visibility, channel, email envelope and time. The HTML is rendered
 * again from the Markdown body by Beacon's sanitizing renderer: an archive's HTML is never stored.
 */
export async function writeComments(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(tx, ctx, "comment", parseRows(ctx, "comment", recs, ZCommentRow), (v) => v.id);
  if (!fresh.length) return;
  const { ids, people } = await refs(tx, ctx, {
    ids: ["ticket", fresh.map((p) => p.value.ticket_id)],
    people: ["user", fresh.map((p) => p.value.author_id)],
  });
  const rows: PgInsertValue<typeof comments>[] = [];
  const pairs: [string, string][] = [];
  for (const p of fresh) {
    const ticketId = ids.get(p.value.ticket_id);
    const authorId = people.get(p.value.author_id);
    if (!ticketId || !authorId) {
      skipRow(ctx, "comment", p, ticketId ? "its author was not imported" : "its ticket was not imported");
      continue;
    }
    const id = randomUUID();
    rows.push({
      orgId: ctx.space.orgId,
      id,
      ticketId,
      authorId,
      body: p.value.body,
      bodyHtml: importedCommentHtml(p.value.body),
      internal: p.value.internal,
      channel: p.value.channel,
      email: (p.value.email as CommentEmail | null | undefined) ?? null,
      createdAt: ts(p.value.created_at)!,
    });
    pairs.push([p.value.id, id]);
    ctx.tally.add("comment", "imported");
  }
  if (rows.length) await tx.insert(comments).values(rows);
  await recordIds(tx, ctx.space, "comment", pairs);
}

/** Message-IDs, so a reply to an old thread lands on its imported ticket; one another ticket here has already is left there. */
export async function writeMessageIds(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRows(ctx, "message_id", recs, ZMessageIdRow);
  const { ids, notes } = await refs(tx, ctx, {
    ids: ["ticket", parsed.map((p) => p.value.ticket_id)],
    notes: ["comment", parsed.map((p) => p.value.comment_id)],
  });
  const rows: PgInsertValue<typeof emailMessageIds>[] = [];
  for (const p of parsed) {
    const ticketId = ids.get(p.value.ticket_id);
    if (!ticketId) {
      skipRow(ctx, "message_id", p, "its ticket was not imported");
      continue;
    }
    rows.push({
      orgId: ctx.space.orgId,
      messageId: p.value.message_id,
      ticketId,
      commentId: (p.value.comment_id && notes.get(p.value.comment_id)) || null,
      direction: p.value.direction,
      createdAt: ts(p.value.created_at)!,
    });
  }
  if (!rows.length) return;
  const written = await tx
    .insert(emailMessageIds)
    .values(rows)
    .onConflictDoNothing()
    .returning({ m: emailMessageIds.messageId });
  ctx.tally.add("message_id", "imported", written.length);
  ctx.tally.add("message_id", "existing", rows.length - written.length);
}

/** Attachments whose bytes were stored (through the upload rules) before this transaction, from the files after their batch. */
export async function writeAttachments(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(tx, ctx, "attachment", parseRows(ctx, "attachment", recs, ZAttachmentRow), (v) => v.id);
  if (!fresh.length) return;
  const { ids, notes, people } = await refs(tx, ctx, {
    ids: ["ticket", fresh.map((p) => p.value.ticket_id)],
    notes: ["comment", fresh.map((p) => p.value.comment_id)],
    people: ["user", fresh.map((p) => p.value.uploader_id)],
  });
  const rows: PgInsertValue<typeof attachments>[] = [];
  const pairs: [string, string][] = [];
  for (const p of fresh) {
    const a = p.value;
    const got = ctx.files?.get(a.id);
    ctx.tally.bytes("attachment", a.size_bytes, got?.ok ? got.size : 0);
    const ticketId = ids.get(a.ticket_id);
    const uploaderId = people.get(a.uploader_id);
    if (!ticketId || !uploaderId) skipRow(ctx, "attachment", p, "its ticket or uploader was not imported");
    else if (a.comment_id && !notes.get(a.comment_id)) skipRow(ctx, "attachment", p, "its comment was not imported");
    else if (!got) skipRow(ctx, "attachment", p, "its bytes are not in the archive");
    else if (!got.ok) skipRow(ctx, "attachment", p, got.reason, got.detail);
    else {
      if (got.sha256 !== a.sha256) ctx.tally.note("attachment", "bytes differ from the archive's checksum");
      const id = randomUUID();
      rows.push({
        orgId: ctx.space.orgId,
        id,
        ticketId,
        commentId: (a.comment_id && notes.get(a.comment_id)) || null,
        uploaderId,
        filename: got.filename,
        contentType: got.contentType,
        sizeBytes: got.size,
        sha256: got.sha256,
        storageKey: got.key,
        createdAt: ts(a.created_at)!,
      });
      pairs.push([a.id, id]);
      ctx.tally.add("attachment", "imported");
    }
  }
  if (rows.length) await tx.insert(attachments).values(rows);
  await recordIds(tx, ctx.space, "attachment", pairs);
}

/** SLA history as recorded events (never recomputed: an imported ticket has no SLA policy here). */
export async function writeSlaEvents(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const fresh = await freshRows(tx, ctx, "sla_event", parseRows(ctx, "sla_event", recs, ZSlaEventRow), (v) => v.id);
  if (!fresh.length) return;
  const { ids } = await refs(tx, ctx, { ids: ["ticket", fresh.map((p) => p.value.ticket_id)] });
  const rows: PgInsertValue<typeof slaEvents>[] = [];
  const pairs: [string, string][] = [];
  for (const p of fresh) {
    const ticketId = ids.get(p.value.ticket_id);
    if (!ticketId) {
      skipRow(ctx, "sla_event", p, "its ticket was not imported");
      continue;
    }
    const id = randomUUID();
    rows.push({
      orgId: ctx.space.orgId,
      id,
      ticketId,
      metric: p.value.metric,
      kind: p.value.kind,
      at: ts(p.value.at)!,
      dueAt: ts(p.value.due_at),
      data: p.value.data,
    });
    pairs.push([p.value.id, id]);
    ctx.tally.add("sla_event", "imported");
  }
  if (rows.length) await tx.insert(slaEvents).values(rows);
  await recordIds(tx, ctx.space, "sla_event", pairs);
}

/** One rating per ticket: a ticket that has one here keeps it. */
export async function writeCsatRatings(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const parsed = parseRows(ctx, "csat_rating", recs, ZCsatRow);
  const { ids, people, teams } = await refs(tx, ctx, {
    ids: ["ticket", parsed.map((p) => p.value.ticket_id)],
    people: ["user", parsed.flatMap((p) => [p.value.requester_id, p.value.assignee_id])],
    teams: ["group", parsed.map((p) => p.value.group_id)],
  });
  const rows: PgInsertValue<typeof csatRatings>[] = [];
  for (const p of parsed) {
    const c = p.value;
    const ticketId = ids.get(c.ticket_id);
    const requesterId = people.get(c.requester_id);
    if (!ticketId || !requesterId) {
      skipRow(ctx, "csat_rating", p, "its ticket or requester was not imported");
      continue;
    }
    rows.push({
      orgId: ctx.space.orgId,
      ticketId,
      rating: c.rating,
      comment: c.comment,
      requesterId,
      assigneeId: (c.assignee_id && people.get(c.assignee_id)) || null,
      groupId: (c.group_id && teams.get(c.group_id)) || null,
      changes: c.changes,
      createdAt: ts(c.created_at)!,
      updatedAt: ts(c.updated_at)!,
    });
  }
  if (!rows.length) return;
  const written = await tx
    .insert(csatRatings)
    .values(rows)
    .onConflictDoNothing()
    .returning({ t: csatRatings.ticketId });
  ctx.tally.add("csat_rating", "imported", written.length);
  ctx.tally.add("csat_rating", "existing", rows.length - written.length);
}
