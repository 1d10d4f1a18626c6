"use client";

import { useRouter } from "next/navigation";
import { useRef, useState, type FormEvent } from "react";
import { useHydrated } from "../use-hydrated";
import { api, describeFailure } from "../api-client";
import { LockIcon } from "./lock-icon";
import { MarkdownField } from "./markdown-field";

/**
 * Reply to the ticket: a public reply, or (staff only) an internal note the customer never sees.
 * Posts to the API, then refreshes the server-rendered conversation.
 */
export function ReplyBox({ ticketId, canNote, customer }: { ticketId: string; canNote: boolean; customer: boolean }) {
  const router = useRouter();
  const hydrated = useHydrated();
  const [body, setBody] = useState("");
  const [internal, setInternal] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const textRef = useRef<HTMLTextAreaElement>(null);

  async function send() {
    if (pending) return;
    if (!body.trim()) {
      setError("Write a message first.");
      textRef.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    setStatus("");
    const asNote = canNote && internal;
    const r = await api<{ id: string }>("POST", `/api/v1/tickets/${ticketId}/comments`, { body, internal: asNote });
    setPending(false);
    if (!r.ok) {
      setError(describeFailure(r.error));
      textRef.current?.focus();
      return;
    }
    setBody("");
    setStatus(asNote ? "Internal note added." : "Reply sent.");
    router.refresh();
  }

  function onSubmit(e: FormEvent) {
    e.preventDefault();
    void send();
  }

  const note = canNote && internal;
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
      <div role="alert" id="reply-error">
        {error ? <p className="error">{error}</p> : null}
      </div>
      <div className="reply-actions">
        <p role="status" className="reply-status">
          {status}
        </p>
        <button type="submit" className={`button ${note ? "note-button" : "primary"}`} disabled={!hydrated || pending} aria-busy={pending}>
          {pending ? "Sending…" : note ? "Add internal note" : customer ? "Send" : "Send public reply"}
        </button>
      </div>
    </form>
  );
}
