import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { z } from "zod";
import { attachments, comments, type CommentEmail } from "../db/schema/tickets";
import { emailMessageIds } from "../db/schema/email";
import type { Tx } from "../db/tenant";
import { importedCommentHtml } from "./comment-html";
import { attachmentKey, type BatchContext, type BatchRecord } from "./batch";
import type { ImportedComment } from "./imported-ticket";
import { clean, describeIssues, idOf, wellFormed } from "./record-shape";
import { safeParseOnce } from "./parse-once";
import type { WantedFile } from "./ticket-files";

// One imported comment, wherever it comes from: embedded in its ticket, or apart from it
// (append-comments.ts). Its rows, its attachments to fetch, and the parse of a ticket's list.

/**
 * The rows of one imported comment: the comment (its body rendered by Beacon's sanitizing
 * Markdown renderer), its Message-ID (so a reply to an old email thread finds the ticket), and its
 * attachments as fetched before the transaction; each attachment not stored is skipped with why.
 */
export function commentRows(
  ctx: BatchContext,
  at: { ticketId: string; commentId: string; authorId: string; record: number },
  c: ImportedComment,
): {
  comment: typeof comments.$inferInsert;
  messageId: typeof emailMessageIds.$inferInsert | null;
  attachments: { row: typeof attachments.$inferInsert; pair: [string, string] }[];
} {
  const { space, tally } = ctx;
  const body = commentBody(c);
  const email: CommentEmail | null =
    c.channel === "email" ? { from: c.email?.from ?? "", to: c.email?.to ?? [], cc: [], messageId: c.messageId } : null;
  const out: ReturnType<typeof commentRows> = {
    comment: {
      orgId: space.orgId,
      id: at.commentId,
      ticketId: at.ticketId,
      authorId: at.authorId,
      body,
      bodyHtml: importedCommentHtml(body),
      internal: !c.public,
      channel: c.channel,
      email,
      createdAt: c.createdAt,
    },
    // Replies to an imported email thread find their ticket by this Message-ID (In-Reply-To / References).
    messageId:
      c.channel === "email" && c.messageId
        ? {
            orgId: space.orgId,
            messageId: c.messageId,
            ticketId: at.ticketId,
            commentId: at.commentId,
            direction: "inbound",
            createdAt: c.createdAt,
          }
        : null,
    attachments: [],
  };
  for (const [i, a] of c.attachments.entries()) {
    const where = { sourceId: a.id, file: ctx.file, record: at.record };
    const got = ctx.files?.get(attachmentKey(c.id, i));
    tally.bytes("attachment", a.size ?? 0, got?.ok ? got.size : 0);
    if (!got) tally.skip("attachment", where, a.url ? "not fetched" : "no URL in the export");
    else if (!got.ok) tally.skip("attachment", where, got.reason, got.detail);
    else {
      const attachmentId = randomUUID();
      out.attachments.push({
        row: {
          orgId: space.orgId,
          id: attachmentId,
          ticketId: at.ticketId,
          commentId: at.commentId,
          uploaderId: at.authorId,
          filename: got.filename,
          contentType: got.contentType,
          sizeBytes: got.size,
          sha256: got.sha256,
          storageKey: got.key,
          createdAt: c.createdAt,
        },
        pair: [a.id ?? attachmentKey(c.id, i), attachmentId],
      });
      tally.add("attachment", "imported");
    }
  }
  return out;
}

/**
 * A batch's comments in one statement, the rows as one JSON parameter instead of ten parameters
 * each: building and sending thousands of parameters through the query builder was the largest
 * share of an import's CPU after Markdown (decision 060). Defaults as the table has them.
 */
export async function insertComments(tx: Tx, rows: (typeof comments.$inferInsert)[]): Promise<void> {
  if (!rows.length) return;
  const json = rows.map((r) => ({
    org_id: r.orgId,
    id: r.id,
    ticket_id: r.ticketId,
    author_id: r.authorId,
    body: wellFormed(r.body),
    body_html: wellFormed(r.bodyHtml),
    internal: r.internal,
    channel: r.channel,
    email: r.email ?? null,
    created_at: r.createdAt,
  }));
  await tx.execute(sql`insert into comments (org_id, id, ticket_id, author_id, body, body_html, internal, channel, email, created_at)
    select org_id, coalesce(id, gen_random_uuid()), ticket_id, author_id, body, body_html, coalesce(internal, false),
      coalesce(channel, 'web')::comment_channel, email, coalesce(created_at, now())
    from jsonb_to_recordset(${JSON.stringify(json)}::jsonb) as x(org_id uuid, id uuid, ticket_id uuid, author_id uuid,
      body text, body_html text, internal boolean, channel text, email jsonb, created_at timestamptz)`);
}

/** The text stored as a comment's body: the source's plain text, without NULs, never empty. */
export const commentBody = (c: Pick<ImportedComment, "body">) => clean(c.body).trim() || "(no text)";

/**
 * The attachments of a batch's comments that have a URL or an id (an export may carry the file
 * itself, found by its id: ticket-files.ts), to be stored before its transaction.
 */
export function wantedFiles(ownerId: string, comments: ImportedComment[]): WantedFile[] {
  return comments.flatMap((c) =>
    c.attachments.flatMap((a, i) =>
      a.url || a.id ? [{ key: attachmentKey(c.id, i), url: a.url, attachmentId: a.id, name: a.name, ownerId }] : [],
    ),
  );
}

/**
 * A ticket's comments as the source embeds them, each counted as a source comment: the ones that
 * fit their shape (after any given first, such as a description), the others skipped with why;
 * their attachments counted; in time order.
 */
export function embeddedComments<T>(
  ctx: BatchContext,
  at: { rec: BatchRecord; ticketId: string },
  raws: unknown[],
  shape: z.ZodType<T>,
  toComment: (value: T) => ImportedComment,
  first: ImportedComment[] = [],
): ImportedComment[] {
  const out = [...first];
  ctx.tally.source("comment", first.length);
  for (const raw of raws) {
    ctx.tally.source("comment");
    const r = safeParseOnce(shape, raw);
    if (r.success) out.push(toComment(r.data));
    else
      ctx.tally.skip(
        "comment",
        { sourceId: idOf(raw), file: ctx.file, record: at.rec.index },
        describeIssues(r.error).reason,
        `ticket ${at.ticketId}: ${describeIssues(r.error).detail}`,
      );
  }
  for (const c of out) ctx.tally.source("attachment", c.attachments.length);
  return out.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
}
