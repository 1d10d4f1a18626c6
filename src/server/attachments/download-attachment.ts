import "server-only";
import { Readable } from "node:stream";
import { and, eq } from "drizzle-orm";
import { attachments, comments } from "../db/schema/tickets";
import { AppError, notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { logger } from "../observability/logger";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { can } from "../authz/permissions";
import { storage } from "./configured-storage";
import { kindOf } from "./content-types";
import { contentDisposition, downloadFilename } from "./filename";
import { StorageNotFound } from "./storage";

/**
 * GET /attachments/:id: the stored bytes, as a download only. Visible exactly when its ticket is,
 * and an internal note's file only to staff; everything else is the same 404. The type is the one
 * sniffed at upload and nosniff stops browsers from guessing another; the name is the server's.
 */
export async function downloadAttachment(scope: Scope, attachmentId: string): Promise<Response> {
  const [row] = await scope.tx
    .select({ a: attachments, internal: comments.internal })
    .from(attachments)
    .leftJoin(comments, and(eq(comments.orgId, attachments.orgId), eq(comments.id, attachments.commentId)))
    .where(eq(attachments.id, attachmentId))
    .limit(1);
  if (!row) throw notFound("attachment");
  try {
    await loadVisibleTicket(scope.tx, scope.user, row.a.ticketId);
  } catch (err) {
    if (err instanceof AppError && err.code === "not_found") throw notFound("attachment");
    throw err;
  }
  if (row.internal && !can(scope.user, "ticket.internal.view")) throw notFound("attachment");

  let body: Readable;
  try {
    body = await storage().get(row.a.storageKey);
  } catch (err) {
    if (!(err instanceof StorageNotFound)) throw err;
    logger().error({ requestId: scope.requestId, attachmentId: row.a.id }, "attachment row without stored bytes");
    throw notFound("attachment");
  }
  const name = downloadFilename(row.a.filename, kindOf(row.a.contentType));
  return new Response(Readable.toWeb(body) as ReadableStream<Uint8Array>, {
    status: 200,
    headers: {
      "Content-Type": row.a.contentType,
      "Content-Length": String(row.a.sizeBytes),
      "Content-Disposition": contentDisposition(name),
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
      // A file opened in the browser anyway gets no script and no plugins.
      "Content-Security-Policy": "default-src 'none'; sandbox",
      "Cross-Origin-Resource-Policy": "same-origin",
      ETag: `"${row.a.sha256}"`,
    },
  });
}
