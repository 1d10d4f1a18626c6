import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { attachments, comments, tickets } from "../db/schema/tickets";
import { recordAudit } from "../audit/record-audit";
import { env } from "../env";
import { AppError, forbidden, notFound } from "../core/errors";
import type { Scope, StreamScope } from "../core/scope";
import { logger } from "../observability/logger";
import { auditActor } from "../authz/actor";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { can } from "../authz/permissions";
import { storage } from "./configured-storage";
import { unsupported } from "./content-inspector";
import { receiveUpload } from "./receive-upload";
import { toAttachmentView, zCommentId, type AttachmentView } from "./schemas";
import { newStorageKey } from "./storage";
import type { ApiRequest } from "../core/api-request";
import { isFinal } from "../lifecycle/ticket-lifecycle";
import { one } from "../core/one";

const closed = () => new AppError("conflict", "closed tickets are final; open a new ticket instead");

/**
 * First step of POST /tickets/:id/attachments, in the short admitting transaction: visibility is
 * settled before a byte of the body is read (a ticket the caller may not see is 404 whatever they
 * send), and a closed ticket is refused (409) before the upload is taken.
 */
export async function authorizeAttachment(scope: Scope, ticketId: string): Promise<{ ticketId: string }> {
  const ticket = await loadVisibleTicket(scope.tx, scope.user, ticketId);
  if (isFinal(ticket.status)) throw closed();
  return { ticketId: ticket.id };
}

/**
 * Second step, with no transaction open: the file streams through the content inspector into
 * storage, so a slow upload holds no database connection. Only a file that passed is recorded, in
 * a second short transaction that re-checks the caller and the ticket (still visible to them,
 * still not closed) and writes the row and its audit event. Any failure after the bytes were
 * stored, a failed commit included, deletes them again. `upload` is the multipart request whose
 * body is the file (the only input of this operation that is a stream).
 */
export async function addAttachment(
  scope: StreamScope,
  upload: ApiRequest,
  authorized: { ticketId: string },
): Promise<AttachmentView> {
  const store = storage();
  const key = newStorageKey(scope.user.orgId);
  const maxBytes = env().ATTACHMENT_MAX_BYTES;
  const received = await receiveUpload(upload, { maxBytes, store, key });
  try {
    const file = received.file;
    if (!file) throw new AppError("validation_failed", "send the file in a multipart field named file");
    if (file.size === 0) throw new AppError("validation_failed", "the file is empty");
    if (!file.verdict.ok) throw unsupported(file.verdict.reason);

    const commentId =
      received.fields.commentId === undefined ? undefined : zCommentId.safeParse(received.fields.commentId);
    if (commentId && !commentId.success) throw new AppError("validation_failed", "commentId must be a UUID");
    const stored = {
      key,
      filename: file.filename,
      contentType: file.verdict.kind.mime,
      size: file.size,
      sha256: file.sha256,
      commentId: commentId?.data,
    };
    return await scope.withTx((txScope) => recordAttachment(txScope, authorized.ticketId, stored));
  } catch (err) {
    await store
      .delete(key)
      .catch((e: unknown) =>
        logger().error({ requestId: scope.requestId, key, err: String(e) }, "could not remove a refused upload"),
      );
    throw err;
  }
}

/** A file that is in storage and passed every check that needs no database. */
type StoredFile = {
  key: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  commentId?: string;
};

async function recordAttachment(scope: Scope, ticketId: string, stored: StoredFile): Promise<AttachmentView> {
  const { tx, user } = scope;
  // The caller may have lost sight of the ticket (demoted, another requester) or it may have been
  // closed while the bytes streamed; the row lock orders this against a concurrent close.
  const ticket = await loadVisibleTicket(tx, user, ticketId, { forUpdate: true });
  if (isFinal(ticket.status)) throw closed();

  let internal = false;
  if (stored.commentId !== undefined) {
    const [c] = await tx
      .select({ internal: comments.internal, authorId: comments.authorId })
      .from(comments)
      .where(and(eq(comments.id, stored.commentId), eq(comments.ticketId, ticket.id)))
      .limit(1);
    if (!c || (c.internal && !can(user, "ticket.internal.view"))) throw notFound("comment");
    if (c.authorId !== user.userId) throw forbidden("files can be attached only to your own comments");
    internal = c.internal;
  }

  const now = new Date();
  await tx
    .update(tickets)
    .set({ updatedAt: now, version: sql`${tickets.version} + 1` })
    .where(eq(tickets.id, ticket.id));
  const row = one(
    await tx
      .insert(attachments)
      .values({
        orgId: user.orgId,
        ticketId: ticket.id,
        commentId: stored.commentId ?? null,
        uploaderId: user.userId,
        filename: stored.filename,
        contentType: stored.contentType,
        sizeBytes: stored.size,
        sha256: stored.sha256,
        storageKey: stored.key,
        createdAt: now,
      })
      .returning(),
  );
  await recordAudit(tx, auditActor(scope), {
    action: "attachment.added",
    entityType: "ticket",
    entityId: ticket.id,
    data: {
      attachmentId: row.id,
      commentId: row.commentId,
      filename: row.filename,
      contentType: row.contentType,
      sizeBytes: row.sizeBytes,
      sha256: row.sha256,
      internal,
    },
  });
  return toAttachmentView(row, internal);
}
