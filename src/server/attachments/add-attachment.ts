import "server-only";
import { and, eq, ne, sql } from "drizzle-orm";
import { attachments, comments, tickets } from "../db/schema/tickets";
import { recordAudit } from "../audit/record-audit";
import { env } from "../env";
import { AppError, forbidden, notFound } from "../http/errors";
import type { Ctx } from "../http/route";
import { logger } from "../observability/logger";
import { auditActor } from "../tickets/actor";
import { loadVisibleTicket } from "../tickets/load-ticket";
import { can } from "../tickets/permissions";
import { storage } from "./configured-storage";
import { unsupported } from "./content-inspector";
import { receiveUpload } from "./receive-upload";
import { toAttachmentView, zCommentId, type AttachmentView } from "./schemas";
import { newStorageKey } from "./storage";

const closed = () => new AppError("conflict", "closed tickets are final; open a new ticket instead");

/**
 * POST /tickets/:id/attachments. Visibility is settled before a byte of the body is read (a ticket
 * the caller may not see is 404 whatever they send); the file then streams through the content
 * inspector into storage; only a file that passed is recorded, with its audit event, in the
 * request's transaction. Any failure after the bytes were stored deletes them again.
 */
export async function addAttachment(ctx: Ctx<unknown, { id: string }>): Promise<AttachmentView> {
  const { tx, user } = ctx;
  const ticket = await loadVisibleTicket(tx, user, ctx.params.id);
  if (ticket.status === "closed") throw closed();

  const store = storage();
  const key = newStorageKey(user.orgId);
  const maxBytes = env().ATTACHMENT_MAX_BYTES;
  const upload = await receiveUpload(ctx.req, { maxBytes, store, key });
  try {
    const file = upload.file;
    if (!file) throw new AppError("validation_failed", "send the file in a multipart field named file");
    if (file.size === 0) throw new AppError("validation_failed", "the file is empty");
    if (!file.verdict.ok) throw unsupported(file.verdict.reason);

    let internal = false;
    if (upload.fields.commentId !== undefined) {
      const parsed = zCommentId.safeParse(upload.fields.commentId);
      if (!parsed.success) throw new AppError("validation_failed", "commentId must be a UUID");
      const [c] = await tx
        .select({ internal: comments.internal, authorId: comments.authorId })
        .from(comments)
        .where(and(eq(comments.id, parsed.data), eq(comments.ticketId, ticket.id)))
        .limit(1);
      if (!c || (c.internal && !can(user, "ticket.internal.view"))) throw notFound("comment");
      if (c.authorId !== user.userId) throw forbidden("files can be attached only to your own comments");
      internal = c.internal;
    }

    // The ticket may have been closed while the bytes streamed; this update settles it.
    const now = new Date();
    const touched = await tx
      .update(tickets)
      .set({ updatedAt: now, version: sql`${tickets.version} + 1` })
      .where(and(eq(tickets.id, ticket.id), ne(tickets.status, "closed")))
      .returning({ id: tickets.id });
    if (touched.length === 0) throw closed();

    const [row] = await tx
      .insert(attachments)
      .values({
        orgId: user.orgId,
        ticketId: ticket.id,
        commentId: upload.fields.commentId ?? null,
        uploaderId: user.userId,
        filename: file.filename,
        contentType: file.verdict.kind.mime,
        sizeBytes: file.size,
        sha256: file.sha256,
        storageKey: key,
        createdAt: now,
      })
      .returning();
    await recordAudit(tx, auditActor(ctx), {
      action: "attachment.added",
      entityType: "ticket",
      entityId: ticket.id,
      data: { attachmentId: row!.id, commentId: row!.commentId, filename: row!.filename, contentType: row!.contentType, sizeBytes: row!.sizeBytes, sha256: row!.sha256, internal },
    });
    return toAttachmentView(row!, internal);
  } catch (err) {
    await store.delete(key).catch((e: unknown) => logger().error({ requestId: ctx.requestId, key, err: String(e) }, "could not remove a refused upload"));
    throw err;
  }
}
