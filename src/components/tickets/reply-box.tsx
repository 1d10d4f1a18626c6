"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { describeUploadFailure, formatBytes, retryable } from "@/lib/attachment-display";
import { useHydrated } from "../use-hydrated";
import { api, describeFailure } from "../api-client";
import { AttachmentPicker } from "./attachment-picker";
import s from "./attachments.module.css";
import { LockIcon } from "./lock-icon";
import { MarkdownField } from "./markdown-field";
import { uploadAttachment } from "./upload-attachment";

type Progress = { key: string; name: string; size: number; loaded: number; state: "waiting" | "sending" | "done" | "failed" };
/** Files that did not make it onto a message that was sent: kept to retry against that message. */
type Unattached = { commentId: string; note: boolean; items: { file: File; message: string; retryable: boolean }[] };

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * Reply to the ticket: a public reply, or (staff only) an internal note the customer never sees,
 * with files when the org has attachments on (`upload` is null otherwise). The message is posted
 * first, then each file is uploaded tied to it (so a note's files share the note's visibility),
 * with progress; a file the server refuses leaves the message sent and says why, per file.
 */
export function ReplyBox({ ticketId, canNote, customer, upload }: { ticketId: string; canNote: boolean; customer: boolean; upload: { maxBytes: number } | null }) {
  const router = useRouter();
  const hydrated = useHydrated();
  const [body, setBody] = useState("");
  const [internal, setInternal] = useState(false);
  const [files, setFiles] = useState<File[]>([]);
  const [progress, setProgress] = useState<Progress[]>([]);
  const [unattached, setUnattached] = useState<Unattached | null>(null);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const textRef = useRef<HTMLTextAreaElement>(null);

  /** Uploads one after another: one progress bar moves at a time, and a slow link is not split between files. */
  async function uploadAll(commentId: string, list: File[]): Promise<Unattached["items"]> {
    const rows: Progress[] = list.map((f, i) => ({ key: `${i}-${f.name}`, name: f.name, size: f.size, loaded: 0, state: "waiting" }));
    setProgress(rows);
    const update = (i: number, patch: Partial<Progress>) => setProgress((p) => p.map((r, j) => (j === i ? { ...r, ...patch } : r)));
    const failed: Unattached["items"] = [];
    for (const [i, file] of list.entries()) {
      update(i, { state: "sending" });
      const r = await uploadAttachment(ticketId, commentId, file, (loaded) => update(i, { loaded }));
      if (r.ok) {
        update(i, { state: "done", loaded: file.size });
      } else {
        update(i, { state: "failed" });
        failed.push({ file, message: describeUploadFailure(file.name, r.failure, upload?.maxBytes ?? 0), retryable: retryable(r.failure) });
      }
    }
    return failed;
  }

  function finish(commentId: string, asNote: boolean, sent: number, failed: Unattached["items"]) {
    setProgress([]);
    setUnattached(failed.length ? { commentId, note: asNote, items: failed } : null);
    const done = asNote ? "Internal note added" : "Reply sent";
    const attached = sent - failed.length;
    setStatus(failed.length ? `${done}; ${plural(failed.length, "file")} not attached.` : attached ? `${done} with ${plural(attached, "file")}.` : `${done}.`);
    router.refresh();
  }

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
    const failed = toSend.length ? await uploadAll(r.data.id, toSend) : [];
    setPending(false);
    finish(r.data.id, asNote, toSend.length, failed);
  }

  async function retry() {
    if (!unattached || pending) return;
    const again = unattached.items.filter((i) => i.retryable).map((i) => i.file);
    const kept = unattached.items.filter((i) => !i.retryable);
    setPending(true);
    setStatus("");
    const failed = await uploadAll(unattached.commentId, again);
    setPending(false);
    setProgress([]);
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
        hint="Markdown is supported. Ctrl+Enter sends."
        className={note ? "note-field" : undefined}
      />
      {upload ? <AttachmentPicker files={files} onChange={setFiles} maxBytes={upload.maxBytes} disabled={pending} /> : null}
      {progress.length ? (
        <ul className={s.progressList} aria-label="Uploading files" data-testid="upload-progress">
          {progress.map((p) => (
            <li key={p.key}>
              <span className={s.name}>{p.name}</span>
              <progress value={p.loaded} max={p.size || 1} aria-label={`Uploading ${p.name}`} />
              <span className={s.meta}>
                {p.state === "waiting" ? "Waiting" : p.state === "done" ? "Attached" : p.state === "failed" ? "Not attached" : `${Math.floor((100 * p.loaded) / (p.size || 1))}% of ${formatBytes(p.size)}`}
              </span>
            </li>
          ))}
        </ul>
      ) : null}
      <div role="alert" id="reply-error">
        {error ? <p className="error">{error}</p> : null}
        {unattached ? (
          <div className="error" data-testid="unattached">
            <p>
              Your {unattached.note ? "note" : "message"} was sent, but {unattached.items.length === 1 ? "this file was" : `these ${unattached.items.length} files were`} not attached:
            </p>
            <ul>
              {unattached.items.map((i, n) => (
                <li key={`${n}-${i.file.name}`}>{i.message}</li>
              ))}
            </ul>
          </div>
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
          {pending ? (progress.length ? "Uploading…" : "Sending…") : note ? "Add internal note" : customer ? "Send" : "Send public reply"}
        </button>
      </div>
    </form>
  );
}
