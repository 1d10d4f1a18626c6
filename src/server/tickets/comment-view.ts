import type { comments } from "../db/schema/tickets";
import type { CommentView } from "./schemas";

export function toCommentView(c: typeof comments.$inferSelect): CommentView {
  return {
    id: c.id,
    ticketId: c.ticketId,
    authorId: c.authorId,
    body: c.body,
    bodyHtml: c.bodyHtml,
    internal: c.internal,
    createdAt: c.createdAt.toISOString(),
  };
}
