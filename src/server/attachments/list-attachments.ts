import "server-only";
import { and, eq, isNull, or, sql } from "drizzle-orm";
import { attachments, comments } from "../db/schema/tickets";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { Scope } from "../core/scope";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { can } from "../authz/permissions";
import type { ListPage } from "../core/list-page";
import { toAttachmentView, type AttachmentView } from "./schemas";

type Cursor = { k: "att"; v: string; id: string };
const isCursor = (v: unknown): v is Cursor =>
  typeof v === "object" &&
  v !== null &&
  (v as Cursor).k === "att" &&
  typeof (v as Cursor).v === "string" &&
  typeof (v as Cursor).id === "string";

/** A ticket's attachments, oldest first; those of internal notes only for staff. */
export async function listAttachments(
  scope: Scope,
  ticketId: string,
  page: ListPage,
): Promise<{ data: AttachmentView[]; nextCursor: string | null }> {
  const t = await loadVisibleTicket(scope.tx, scope.user, ticketId);
  const where = [eq(attachments.ticketId, t.id)];
  if (!can(scope.user, "ticket.internal.view"))
    where.push(or(isNull(attachments.commentId), eq(comments.internal, false))!);
  if (page.cursor) {
    const c = decodeCursor("attachments", page.cursor, isCursor, { ticketId: t.id });
    where.push(sql`(${attachments.createdAt}, ${attachments.id}) > (${c.v}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await scope.tx
    .select({
      a: attachments,
      internal: sql<boolean>`coalesce(${comments.internal}, false)`,
      v: sql<string>`${attachments.createdAt}::text`,
    })
    .from(attachments)
    .leftJoin(comments, and(eq(comments.orgId, attachments.orgId), eq(comments.id, attachments.commentId)))
    .where(and(...where))
    .orderBy(attachments.createdAt, attachments.id)
    .limit(page.limit + 1);
  const more = rows.length > page.limit;
  const pageRows = more ? rows.slice(0, page.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map((r) => toAttachmentView(r.a, r.internal)),
    nextCursor:
      more && last ? encodeCursor("attachments", { k: "att", v: last.v, id: last.a.id }, { ticketId: t.id }) : null,
  };
}
