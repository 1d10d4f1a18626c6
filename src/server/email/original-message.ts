import "server-only";
import { and, eq } from "drizzle-orm";
import { assertCan } from "../authz/permissions";
import { notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { inboundMessages } from "../db/schema/email";
import { loadVisibleTicket } from "../ticket-model/load-ticket";

/**
 * GET /tickets/{id}/comments/{commentId}/original (decision 039): the message a comment came in
 * as, byte for byte, for staff who need its headers or MIME parts. Staff only (it holds every
 * recipient's address); another org's ticket, a comment of another ticket and a comment that did
 * not come by email are all the same 404. A download only: nosniff and no caching.
 */
export async function originalMessage(scope: Scope, input: { ticketId: string; commentId: string }): Promise<Response> {
  assertCan(scope.user, "ticket.internal.view");
  const ticket = await loadVisibleTicket(scope.tx, scope.user, input.ticketId);
  const [m] = await scope.tx
    .select({ raw: inboundMessages.raw })
    .from(inboundMessages)
    .where(
      and(
        eq(inboundMessages.orgId, scope.user.orgId),
        eq(inboundMessages.ticketId, ticket.id),
        eq(inboundMessages.commentId, input.commentId),
      ),
    )
    .limit(1);
  if (!m) throw notFound("original message");
  return emlDownload(m.raw, `${ticket.number}-${input.commentId.slice(0, 8)}.eml`);
}

/** A stored message as a download, byte for byte: never sniffed, rendered or cached. */
export function emlDownload(raw: Uint8Array, filename: string): Response {
  return new Response(new Uint8Array(raw), {
    status: 200,
    headers: {
      "Content-Type": "message/rfc822",
      "Content-Length": String(raw.byteLength),
      "Content-Disposition": `attachment; filename="${filename}"`,
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
      "Content-Security-Policy": "default-src 'none'; sandbox",
    },
  });
}
