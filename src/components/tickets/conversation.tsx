import type { CommentView } from "@/server/tickets/schemas";
import { LocalTime } from "../local-time";
import { LockIcon } from "./lock-icon";

export type Author = { name: string; role: string };

/**
 * The conversation, oldest first. Internal notes (which the domain layer never returns to a
 * customer) are tinted, labelled "Internal note" and marked with a lock, so no one mistakes one
 * for something the customer saw. bodyHtml was rendered and sanitized on write (rehype-sanitize).
 */
export function Conversation({ comments, authorOf }: { comments: CommentView[]; authorOf: (id: string) => Author }) {
  return (
    <ol className="conversation" data-testid="conversation">
      {comments.map((c, i) => {
        const author = authorOf(c.authorId);
        return (
          <li key={c.id}>
            <article className={`comment${c.internal ? " note" : ""}`} data-testid={c.internal ? "internal-note" : "public-reply"} aria-labelledby={`c-${c.id}`}>
              <header className="comment-head">
                <h3 id={`c-${c.id}`} className="comment-author">
                  {author.name}
                  {c.internal ? (
                    <span className="note-label">
                      <LockIcon /> Internal note
                    </span>
                  ) : (
                    <span className="visually-hidden">{i === 0 ? ", original message" : ", public reply"}</span>
                  )}
                </h3>
                <span className="comment-role">{author.role}</span>
                <LocalTime iso={c.createdAt} className="comment-time" />
              </header>
              {/* Sanitized on write by the unified pipeline (rehype-sanitize); the only raw HTML in the UI. */}
              <div className="comment-body prose" dangerouslySetInnerHTML={{ __html: c.bodyHtml }} />
            </article>
          </li>
        );
      })}
    </ol>
  );
}
