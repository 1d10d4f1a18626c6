import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { comments } from "../db/schema/tickets";
import { decodeCursor, isKeyCursor, keysetPage } from "../core/cursor";
import type { Ctx } from "../http/route";
import { loadVisibleTicket } from "./load-ticket";
import { can } from "./permissions";
import type { CommentView } from "./schemas";
import { toCommentView } from "./comment-view";


/** The conversation, oldest first; internal notes only for staff. */
export async function listComments(
  ctx: Ctx<{ limit: number; cursor?: string }>,
  ticketId: string,
): Promise<{ data: CommentView[]; nextCursor: string | null }> {
  const t = await loadVisibleTicket(ctx.tx, ctx.user, ticketId);
  const where = [eq(comments.ticketId, t.id)];
  if (!can(ctx.user, "ticket.internal.view")) where.push(eq(comments.internal, false));
  if (ctx.query.cursor) {
    const c = decodeCursor("comments", ctx.query.cursor, isKeyCursor);
    where.push(sql`(${comments.createdAt}, ${comments.id}) > (${c.v}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await ctx.tx
    .select({ c: comments, v: sql<string>`${comments.createdAt}::text` })
    .from(comments)
    .where(and(...where))
    .orderBy(comments.createdAt, comments.id)
    .limit(ctx.query.limit + 1);
  const { rows: pageRows, nextCursor } = keysetPage("comments", rows, ctx.query.limit, (last) => ({ v: last.v, id: last.c.id }));
  return {
    data: pageRows.map((r) => toCommentView(r.c)),
    nextCursor,
  };
}
