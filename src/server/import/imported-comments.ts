import "server-only";
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { attachments, comments, type CommentEmail } from "../db/schema/tickets";
import { emailMessageIds } from "../db/schema/email";
import { renderMarkdown } from "../markdown/render";
import { attachmentKey, type BatchContext, type BatchRecord } from "./batch";
import type { ImportedComment } from "./imported-ticket";
import { clean, describeIssues, idOf } from "./record-shape";
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
  const body = clean(c.body).trim() || "(no text)";
  const email: CommentEmail | null =
    c.channel === "email" ? { from: c.email?.from ?? "", to: c.email?.to ?? [], cc: [], messageId: c.messageId } : null;
  const out: ReturnType<typeof commentRows> = {
    comment: {
      orgId: space.orgId,
      id: at.commentId,
      ticketId: at.ticketId,
      authorId: at.authorId,
      body,
      bodyHtml: renderMarkdown(body),
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
    if (!a.url) tally.skip("attachment", where, "no URL in the export");
    else if (!got) tally.skip("attachment", where, "not fetched");
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

/** The attachments of a batch's comments that have a URL, to be fetched before its transaction. */
export function wantedFiles(ownerId: string, comments: ImportedComment[]): WantedFile[] {
  return comments.flatMap((c) =>
    c.attachments.flatMap((a, i) =>
      a.url ? [{ key: attachmentKey(c.id, i), url: a.url, name: a.name, ownerId }] : [],
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
    const r = shape.safeParse(raw);
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
