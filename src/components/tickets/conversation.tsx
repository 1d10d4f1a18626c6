import type { AttachmentView } from "@/server/attachments/schemas";
import type { CommentView } from "@/server/tickets/schemas";
import { LocalTime } from "../local-time";
import { AttachmentList } from "./attachment-list";
import { LockIcon } from "./lock-icon";

export type Author = { name: string; role: string };

/**
 * The conversation, oldest first. Internal notes (which the domain layer never returns to a
 * customer) are tinted, labelled "Internal note" and marked with a lock, so no one mistakes one
 * for something the customer saw. bodyHtml was rendered and sanitized on write (rehype-sanitize).
 * Each message lists the files attached to it — those the domain layer returned for this reader,
 * so a note's files appear only inside the note, for staff.
 */
export function Conversation({ comments, authorOf, attachments = [] }: { comments: CommentView[]; authorOf: (id: string) => Author; attachments?: AttachmentView[] }) {
  const filesOf = new Map<string, AttachmentView[]>();
  for (const a of attachments) if (a.commentId) filesOf.set(a.commentId, [...(filesOf.get(a.commentId) ?? []), a]);
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
              <AttachmentList items={filesOf.get(c.id) ?? []} label={`Files attached to this ${c.internal ? "note" : "message"}`} />
            </article>
          </li>
        );
      })}
    </ol>
  );
}
