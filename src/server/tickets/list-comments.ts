import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { comments } from "../db/schema/tickets";
import { decodeCursor, encodeCursor } from "../http/cursor";
import type { Ctx } from "../http/route";
import { loadVisibleTicket } from "./load-ticket";
import { can } from "./permissions";
import type { CommentView } from "./schemas";
import { toCommentView } from "./comment-view";

type Cursor = { v: string; id: string };
const isCursor = (v: unknown): v is Cursor =>
  typeof v === "object" && v !== null && typeof (v as Cursor).v === "string" && typeof (v as Cursor).id === "string";

/** The conversation, oldest first; internal notes only for staff. */
export async function listComments(
  ctx: Ctx<{ limit: number; cursor?: string }>,
  ticketId: string,
): Promise<{ data: CommentView[]; nextCursor: string | null }> {
  const t = await loadVisibleTicket(ctx.tx, ctx.user, ticketId);
  const where = [eq(comments.ticketId, t.id)];
  if (!can(ctx.user, "ticket.internal.view")) where.push(eq(comments.internal, false));
  if (ctx.query.cursor) {
    const c = decodeCursor(ctx.query.cursor, isCursor);
    where.push(sql`(${comments.createdAt}, ${comments.id}) > (${c.v}::timestamptz, ${c.id}::uuid)`);
  }
  const rows = await ctx.tx
    .select({ c: comments, v: sql<string>`${comments.createdAt}::text` })
    .from(comments)
    .where(and(...where))
    .orderBy(comments.createdAt, comments.id)
    .limit(ctx.query.limit + 1);
  const more = rows.length > ctx.query.limit;
  const pageRows = more ? rows.slice(0, ctx.query.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map((r) => toCommentView(r.c)),
    nextCursor: more && last ? encodeCursor({ v: last.v, id: last.c.id }) : null,
  };
}
