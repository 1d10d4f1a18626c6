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
    channel: c.channel,
    email: c.email
      ? {
          from: c.email.from,
          to: c.email.to,
          cc: c.email.cc,
          messageId: c.email.messageId,
          ...(c.email.refused?.length ? { refused: c.email.refused } : {}),
          ...(c.email.auth ? { auth: c.email.auth } : {}),
        }
      : null,
    createdAt: c.createdAt.toISOString(),
  };
}
