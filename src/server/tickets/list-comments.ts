import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { comments } from "../db/schema/tickets";
import { decodeCursor, isKeyCursor, keysetPage } from "../core/cursor";
import type { Scope } from "../core/scope";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { can } from "../authz/permissions";
import type { ListPage } from "../core/list-page";
import type { CommentView } from "./schemas";
import { toCommentView } from "./comment-view";

/** The conversation, oldest first; internal notes only for staff. */
export async function listComments(
  scope: Scope,
  ticketId: string,
  page: ListPage,
): Promise<{ data: CommentView[]; nextCursor: string | null }> {
  const t = await loadVisibleTicket(scope.tx, scope.user, ticketId);
  const where = [eq(comments.ticketId, t.id)];
  if (!can(scope.user, "ticket.internal.view")) where.push(eq(comments.internal, false));
  if (page.cursor) {
    const c = decodeCursor("comments", page.cursor, isKeyCursor, { ticketId: t.id });
    where.push(sql`(${comments.createdAt}, ${comments.id}) > (${c.v}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await scope.tx
    .select({ c: comments, v: sql<string>`${comments.createdAt}::text` })
    .from(comments)
    .where(and(...where))
    .orderBy(comments.createdAt, comments.id)
    .limit(page.limit + 1);
  const { rows: pageRows, nextCursor } = keysetPage(
    "comments",
    rows,
    page.limit,
    (last) => ({ v: last.v, id: last.c.id }),
    { ticketId: t.id },
  );
  return {
    data: pageRows.map((r) => toCommentView(r.c)),
    nextCursor,
  };
}
