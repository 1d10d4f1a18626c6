import { formatBytes, typeLabel } from "@/lib/attachment-display";
import type { AttachmentView } from "@/server/attachments/schemas";
import s from "./attachments.module.css";

function PaperclipIcon() {
  return (
    <svg
      aria-hidden="true"
      width="16"
      height="16"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      strokeWidth="2"
      strokeLinecap="round"
      strokeLinejoin="round"
    >
      <path d="m21.4 11.1-9.2 9.2a6 6 0 0 1-8.5-8.5l9.2-9.2a4 4 0 0 1 5.7 5.7l-9.2 9.2a2 2 0 0 1-2.8-2.8l8.5-8.5" />
    </svg>
  );
}

/**
 * Files of one message (or of the ticket itself), each a download link with its name, size and
 * sniffed type. The link goes to GET /api/v1/attachments/:id, which answers with
 * Content-Disposition: attachment, so nothing a customer uploaded is ever opened in Beacon's
 * origin. When the saved name differs from the uploaded one (the extension follows the content:
 * `invoice.pdf.exe` holding a PDF is saved as `invoice.pdf`), the list says so.
 */
export function AttachmentList({ items, label }: { items: AttachmentView[]; label: string }) {
  if (!items.length) return null;
  return (
    <ul className={s.files} aria-label={label} data-testid="attachments">
      {items.map((a) => (
        <li key={a.id} data-testid="attachment">
          {/* The label starts with the action and contains the visible name (WCAG 2.5.3). */}
          <a
            className={s.fileLink}
            href={a.url}
            download={a.downloadFilename}
            aria-label={`Download ${a.filename}`}
            data-testid="attachment-link"
          >
            <PaperclipIcon />
            <span>{a.filename}</span>
          </a>
          <span className={s.meta} data-testid="attachment-meta">
            {formatBytes(a.sizeBytes)} · {typeLabel(a.contentType)}
            {a.downloadFilename !== a.filename ? <> · saved as {a.downloadFilename}</> : null}
          </span>
        </li>
      ))}
    </ul>
  );
}

/** Files uploaded to the ticket without a message (through the API): after the conversation. */
export function TicketFiles({ items }: { items: AttachmentView[] }) {
  if (!items.length) return null;
  return (
    <section className={`card ${s.ticketFiles}`} aria-labelledby="ticket-files-title" data-testid="ticket-files">
      <h2 id="ticket-files-title">Files added to the ticket</h2>
      <AttachmentList items={items} label="Files added to the ticket" />
    </section>
  );
}
