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
import { NEW_REPLY_EVENT } from "../live/use-live";

/** Where a reply draft is kept between reloads: per user and ticket, in this browser only. */
export const draftKey = (userId: string, ticketId: string) => `beacon:draft:${userId}:${ticketId}`;

/** How often "typing" is repeated while typing, and how long after the last key it stops. */
const TYPING_REPEAT_MS = 3_000;
const TYPING_IDLE_MS = 4_000;

function readDraft(key: string | null): string {
  if (!key) return "";
  try {
    return window.localStorage.getItem(key) ?? "";
  } catch {
    return "";
  }
}

function writeDraft(key: string | null, text: string): void {
  if (!key) return;
  try {
    if (text.trim()) window.localStorage.setItem(key, text);
    else window.localStorage.removeItem(key);
  } catch {
    // storage full or disabled: the draft lives only in the page
  }
}

/** Files that did not make it onto a message that was sent: kept to retry against that message. */
type Unattached = { commentId: string; note: boolean; items: NotAttached[] };

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? "" : "s"}`;

/**
 * Reply to the ticket: a public reply, or (staff only) an internal note the customer never sees,
 * with files when the org has attachments on (`upload` is null otherwise). The message is posted
 * first, then each file is uploaded tied to it (so a note's files share the note's visibility),
 * with progress; a file the server refuses leaves the message sent and says why, per file.
 */
export function ReplyBox({
  ticketId,
  canNote,
  customer,
  upload,
  emailedTo = null,
  userId = null,
  announceTyping = false,
}: {
  ticketId: string;
  canNote: boolean;
  customer: boolean;
  upload: { maxBytes: number } | null;
  emailedTo?: string | null;
  userId?: string | null;
  announceTyping?: boolean;
}) {
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
  const storeKey = userId ? draftKey(userId, ticketId) : null;
  // Replies by someone else that arrived while a draft was being written (live, decision 052).
  const [newSince, setNewSince] = useState(0);
  const [confirmNew, setConfirmNew] = useState(false);
  const bodyRef = useRef(body);
  const typingAt = useRef(0);
  const typingIdle = useRef<ReturnType<typeof setTimeout> | null>(null);

  // The draft survives a reload: restored once, saved on every change, cleared when sent.
  useEffect(() => {
    const saved = readDraft(storeKey);
    if (saved) setBody((prev) => prev || saved);
  }, [storeKey]);
  useEffect(() => {
    bodyRef.current = body;
  }, [body]);

  useEffect(() => {
    function onNewReply(e: Event) {
      const d = (e as CustomEvent<{ ticketId?: string }>).detail;
      if (d?.ticketId === ticketId && bodyRef.current.trim()) setNewSince((n) => n + 1);
    }
    window.addEventListener(NEW_REPLY_EVENT, onNewReply);
    return () => window.removeEventListener(NEW_REPLY_EVENT, onNewReply);
  }, [ticketId]);

  function typing(on: boolean) {
    if (!announceTyping) return;
    if (typingIdle.current) clearTimeout(typingIdle.current);
    typingIdle.current = null;
    if (on) {
      typingIdle.current = setTimeout(() => typing(false), TYPING_IDLE_MS);
      if (Date.now() - typingAt.current < TYPING_REPEAT_MS) return;
      typingAt.current = Date.now();
    } else {
      if (typingAt.current === 0) return;
      typingAt.current = 0;
    }
    void api("POST", "/api/live/typing", { ticketId, typing: on });
  }

  function edit(text: string) {
    setBody(text);
    writeDraft(storeKey, text);
    if (!text.trim()) {
      setNewSince(0);
      setConfirmNew(false);
    }
    typing(Boolean(text.trim()));
  }

  // A macro's rendered reply (macro-picker.tsx) lands here as a public reply, after what is typed.
  useEffect(() => {
    function onInsert(e: Event) {
      const text = (e as CustomEvent<unknown>).detail;
      if (typeof text !== "string" || !text) return;
      setBody((prev) => {
        const next = prev.trim() ? `${prev.trimEnd()}\n\n${text}` : text;
        writeDraft(storeKey, next);
        return next;
      });
      setInternal(false);
      setError(null);
      textRef.current?.focus();
    }
    window.addEventListener(INSERT_REPLY_EVENT, onInsert);
    return () => window.removeEventListener(INSERT_REPLY_EVENT, onInsert);
  }, [storeKey]);

  async function send(anyway = false) {
    if (pending) return;
    if (newSince > 0 && !anyway && body.trim()) {
      setConfirmNew(true);
      return;
    }
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
    writeDraft(storeKey, "");
    setNewSince(0);
    setConfirmNew(false);
    typing(false);
    const toSend = upload ? files : [];
    setFiles([]);
    const failed = toSend.length ? await uploads.uploadAll(ticketId, r.data.id, toSend) : [];
    uploads.done();
    setPending(false);
    setUnattached(failed.length ? { commentId: r.data.id, note: asNote, items: failed } : null);
    const done = asNote ? "Internal note added" : "Reply sent";
    const attached = toSend.length - failed.length;
    setStatus(
      failed.length
        ? `${done}; ${plural(failed.length, "file")} not attached.`
        : attached
          ? `${done} with ${plural(attached, "file")}.`
          : `${done}.`,
    );
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
    setStatus(
      failed.length
        ? `${plural(failed.length, "file")} still not attached.`
        : `${plural(again.length, "file")} attached.`,
    );
    router.refresh();
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void send();
  }

  const note = canNote && internal;
  const canRetry = unattached?.items.some((i) => i.retryable) ?? false;
  return (
    <form
      className={`reply-box card${note ? " note-mode" : ""}`}
      onSubmit={onSubmit}
      aria-labelledby="reply-title"
      data-testid="reply-box"
    >
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
        label={
          note ? "Note (only agents and admins see it)" : customer ? "Your message" : "Message (the customer sees it)"
        }
        name="body"
        value={body}
        onChange={edit}
        rows={5}
        textareaRef={textRef}
        invalid={Boolean(error)}
        errorId="reply-error"
        onSubmitShortcut={() => void send()}
        hint={
          !note && emailedTo
            ? `Markdown is supported. Ctrl+Enter sends. The reply is also emailed to ${emailedTo}.`
            : "Markdown is supported. Ctrl+Enter sends."
        }
        className={note ? "note-field" : undefined}
      />
      {upload ? (
        <AttachmentPicker files={files} onChange={setFiles} maxBytes={upload.maxBytes} disabled={pending} />
      ) : null}
      <UploadProgress progress={uploads.progress} />
      <div role="alert" id="reply-error">
        {confirmNew ? (
          <div className="notice new-reply-warning" data-testid="new-reply-warning">
            <p>
              <strong>New reply since you started.</strong>{" "}
              {newSince === 1 ? "Someone else replied" : `${newSince} new replies arrived`} while you were writing; read{" "}
              {newSince === 1 ? "it" : "them"} above before you send.
            </p>
            <button type="button" className="button" onClick={() => void send(true)} disabled={pending}>
              Send anyway
            </button>
          </div>
        ) : null}
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
        <button
          type="submit"
          className={`button ${note ? "note-button" : "primary"}`}
          disabled={!hydrated || pending}
          aria-busy={pending}
        >
          {pending
            ? uploads.uploading
              ? "Uploading…"
              : "Sending…"
            : note
              ? "Add internal note"
              : customer
                ? "Send"
                : "Send public reply"}
        </button>
      </div>
    </form>
  );
}
