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
 * Every message names its channel (Web, Email, API; SPEC §11), for everyone. Staff also see an
 * email's envelope (From, To, Cc): customers do not, so a CC's address is not shown to others
 * through the portal. Attachments the upload rules refused on an email are listed, by name and why.
 */
export function Conversation({
  comments,
  authorOf,
  attachments = [],
  staff = false,
}: {
  comments: CommentView[];
  authorOf: (id: string) => Author;
  attachments?: AttachmentView[];
  staff?: boolean;
}) {
  const filesOf = new Map<string, AttachmentView[]>();
  for (const a of attachments) if (a.commentId) filesOf.set(a.commentId, [...(filesOf.get(a.commentId) ?? []), a]);
  return (
    <ol className="conversation" data-testid="conversation">
      {comments.map((c, i) => {
        const author = authorOf(c.authorId);
        return (
          <li key={c.id}>
            <article
              className={`comment${c.internal ? " note" : ""}`}
              data-testid={c.internal ? "internal-note" : "public-reply"}
              aria-labelledby={`c-${c.id}`}
            >
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
                <span className={`channel-label channel-${c.channel}`} data-testid="comment-channel">
                  <span className="visually-hidden">Channel: </span>
                  {CHANNEL[c.channel]}
                </span>
                <LocalTime iso={c.createdAt} className="comment-time" />
              </header>
              {staff && c.email ? (
                <>
                  <EmailEnvelope email={c.email} />
                  {/* The message as it arrived (decision 039): headers and MIME parts the comment does not show. */}
                  <p className="small">
                    <a
                      href={`/api/v1/tickets/${c.ticketId}/comments/${c.id}/original`}
                      download
                      data-testid="email-original"
                    >
                      Download original (.eml)
                    </a>
                  </p>
                </>
              ) : null}
              {/* Sanitized on write by the unified pipeline (rehype-sanitize); the only raw HTML in the UI. */}
              <div className="comment-body prose" dangerouslySetInnerHTML={{ __html: c.bodyHtml }} />
              <AttachmentList
                items={filesOf.get(c.id) ?? []}
                label={`Files attached to this ${c.internal ? "note" : "message"}`}
              />
              {c.email?.refused?.length ? (
                <div className="refused-files" data-testid="refused-files">
                  <p>Files in this email that were not accepted:</p>
                  <ul>
                    {c.email.refused.map((f, j) => (
                      <li key={j}>
                        {f.filename}: {f.reason}
                      </li>
                    ))}
                  </ul>
                </div>
              ) : null}
            </article>
          </li>
        );
      })}
    </ol>
  );
}

const CHANNEL: Record<CommentView["channel"], string> = { web: "Web", email: "Email", api: "API" };

/** From / To / Cc of an email comment, compact; for staff only. */
function EmailEnvelope({ email }: { email: NonNullable<CommentView["email"]> }) {
  const rows: [string, string][] = [
    ["From", email.from],
    ["To", email.to.join(", ")],
  ];
  if (email.cc.length) rows.push(["Cc", email.cc.join(", ")]);
  // SPF/DKIM/DMARC as checked on arrival (decision 035): a forged From shows as a DMARC fail.
  if (email.auth) rows.push(["Auth", `SPF ${email.auth.spf} · DKIM ${email.auth.dkim} · DMARC ${email.auth.dmarc}`]);
  return (
    <dl className="email-envelope" data-testid="email-envelope" aria-label="Email headers">
      {rows.map(([k, v]) => (
        <div key={k}>
          <dt>{k}</dt>
          <dd>{v || "—"}</dd>
        </div>
      ))}
    </dl>
  );
}
