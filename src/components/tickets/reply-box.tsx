"use client";

import { useRouter } from "next/navigation";
import { useEffect, useRef, useState, type FormEvent } from "react";
import { useHydrated } from "../use-hydrated";
import { api, describeFailure } from "../api-client";
import { AttachmentPicker } from "./attachment-picker";
import s from "./attachments.module.css";
import { LockIcon } from "./lock-icon";
import { INSERT_REPLY_EVENT } from "./macro-picker";
import { MarkdownField } from "./markdown-field";
import { NotAttachedList, UploadProgress, useUploads, type NotAttached } from "./use-uploads";

/** Files that did not make it onto a message that was sent: kept to retry against that message. */
type Unattached = { commentId: string; note: boolean; items: NotAttached[] };

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * Reply to the ticket: a public reply, or (staff only) an internal note the customer never sees,
 * with files when the org has attachments on (`upload` is null otherwise). The message is posted
 * first, then each file is uploaded tied to it (so a note's files share the note's visibility),
 * with progress; a file the server refuses leaves the message sent and says why, per file.
 */
export function ReplyBox({ ticketId, canNote, customer, upload, emailedTo = null }: { ticketId: string; canNote: boolean; customer: boolean; upload: { maxBytes: number } | null; emailedTo?: string | null }) {
  const router = useRouter();
  const hydrated = useHydrated();
  const uploads = useUploads(upload?.maxBytes ?? 0);
  const [body, setBody] = useState("");
  const [internal, setInternal] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [unattached, setUnattached] = useState<Unattached | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const textRef = useRef<HTMLTextAreaElement>(null);

  // A macro's rendered reply (macro-picker.tsx) lands here as a public reply, after what is typed.
  useEffect(() => {
    function onInsert(e: Event) {
      const text = (e as CustomEvent<unknown>).detail;
      if (typeof text !== "string" || !text) return;
      setBody((prev) => (prev.trim() ? `${prev.trimEnd()}\n\n${text}` : text));
      setInternal(false);
      setError(null);
      textRef.current?.focus();
    }
    window.addEventListener(INSERT_REPLY_EVENT, onInsert);
    return () => window.removeEventListener(INSERT_REPLY_EVENT, onInsert);
  }, []);

  async function send() {
    if (pending) return;
    if (!body.trim()) {
      setError(files.length ? "Write a message to go with the files." : "Write a message first.");
      textRef.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    setStatus("");
    setUnattached(null);
    const asNote = canNote && internal;
    const r = await api<{ id: string }>("POST", `/api/v1/tickets/${ticketId}/comments`, { body, internal: asNote });
    if (!r.ok) {
      setPending(false);
      setError(describeFailure(r.error));
      textRef.current?.focus();
      return;
    }
    setBody("");
    const toSend = upload ? files : [];
    setFiles([]);
    const failed = toSend.length ? await uploads.uploadAll(ticketId, r.data.id, toSend) : [];
    uploads.done();
    setPending(false);
    setUnattached(failed.length ? { commentId: r.data.id, note: asNote, items: failed } : null);
    const done = asNote ? "Internal note added" : "Reply sent";
    const attached = toSend.length - failed.length;
    setStatus(failed.length ? `${done}; ${plural(failed.length, "file")} not attached.` : attached ? `${done} with ${plural(attached, "file")}.` : `${done}.`);
    router.refresh();
  }

  async function retry() {
    if (!unattached || pending) return;
    const again = unattached.items.filter((i) => i.retryable).map((i) => i.file);
    const kept = unattached.items.filter((i) => !i.retryable);
    setPending(true);
    setStatus("");
    const failed = await uploads.uploadAll(ticketId, unattached.commentId, again);
    uploads.done();
    setPending(false);
    const left = [...kept, ...failed];
    setUnattached(left.length ? { ...unattached, items: left } : null);
    setStatus(failed.length ? `${plural(failed.length, "file")} still not attached.` : `${plural(again.length, "file")} attached.`);
    router.refresh();
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void send();
  }

  const note = canNote && internal;
  const canRetry = unattached?.items.some((i) => i.retryable) ?? false;
  return (
    <form className={`reply-box card${note ? " note-mode" : ""}`} onSubmit={onSubmit} aria-labelledby="reply-title" data-testid="reply-box">
      <h2 id="reply-title">{customer ? "Reply" : note ? "Add an internal note" : "Reply to the customer"}</h2>
      {canNote ? (
        <fieldset className="reply-kind">
          <legend className="visually-hidden">Reply type</legend>
          <label className={!note ? "selected" : undefined}>
            <input type="radio" name="kind" value="public" checked={!note} onChange={() => setInternal(false)} />
            Public reply
          </label>
          <label className={note ? "selected note" : undefined}>
            <input type="radio" name="kind" value="internal" checked={note} onChange={() => setInternal(true)} />
            <LockIcon /> Internal note
          </label>
        </fieldset>
      ) : null}
      <MarkdownField
        label={note ? "Note (only agents and admins see it)" : customer ? "Your message" : "Message (the customer sees it)"}
        name="body"
        value={body}
        onChange={setBody}
        rows={5}
        textareaRef={textRef}
        invalid={Boolean(error)}
        errorId="reply-error"
        onSubmitShortcut={() => void send()}
        hint={!note && emailedTo ? `Markdown is supported. Ctrl+Enter sends. The reply is also emailed to ${emailedTo}.` : "Markdown is supported. Ctrl+Enter sends."}
        className={note ? "note-field" : undefined}
      />
      {upload ? <AttachmentPicker files={files} onChange={setFiles} maxBytes={upload.maxBytes} disabled={pending} /> : null}
      <UploadProgress progress={uploads.progress} />
      <div role="alert" id="reply-error">
        {error ? <p className="error">{error}</p> : null}
        {unattached ? (
          <NotAttachedList
            intro={`Your ${unattached.note ? "note" : "message"} was sent, but ${unattached.items.length === 1 ? "this file was" : `these ${unattached.items.length} files were`} not attached:`}
            items={unattached.items}
          />
        ) : null}
      </div>
      {unattached ? (
        <div className={s.unattachedActions}>
          {canRetry ? (
            <button type="button" className="button" onClick={() => void retry()} disabled={pending}>
              Try attaching again
            </button>
          ) : null}
          <button type="button" className="button" onClick={() => setUnattached(null)} disabled={pending}>
            Dismiss
          </button>
        </div>
      ) : null}
      <div className="reply-actions">
        <p role="status" className="reply-status">
          {status}
        </p>
        <button type="submit" className={`button ${note ? "note-button" : "primary"}`} disabled={!hydrated || pending} aria-busy={pending}>
          {pending ? (uploads.uploading ? "Uploading…" : "Sending…") : note ? "Add internal note" : customer ? "Send" : "Send public reply"}
        </button>
      </div>
    </form>
  );
}
