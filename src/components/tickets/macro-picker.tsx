"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState } from "react";
import { api, describeFailure } from "../api-client";
import { useHydrated } from "../use-hydrated";
import s from "../admin/admin.module.css";
import { describeChange, describeEffect, type Named, type PreviewData } from "../automation/rule-model";

// "Apply macro" on the ticket page (issue 13 item 4, decision 045): pick a macro (button or the
// m key), see its preview (the reply rendered for this ticket, the field changes), then apply:
// the field changes are saved by the API and the reply goes into the reply box, not sent.

export type MacroOption = { id: string; name: string; shared: boolean };

/** The reply box listens for this: the text to put in the composer. */
export const INSERT_REPLY_EVENT = "beacon:insert-reply";

const typing = (el: EventTarget | null) =>
  el instanceof HTMLElement && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

export function MacroPicker({
  ticketId,
  macros,
  agents,
  groups,
}: {
  ticketId: string;
  macros: MacroOption[];
  agents: Named[];
  groups: Named[];
}) {
  const router = useRouter();
  const id = useId().replace(/:/g, "");
  const dialogRef = useRef<HTMLDialogElement>(null);
  const selectRef = useRef<HTMLSelectElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const [macroId, setMacroId] = useState("");
  const [preview, setPreview] = useState<PreviewData | null>(null);
  const [loading, setLoading] = useState(false);
  const [applying, setApplying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const hydrated = useHydrated();

  // The m key opens the picker (not while typing, not with a modifier).
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      if (e.key !== "m" || e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || typing(e.target)) return;
      if (dialogRef.current?.open) return;
      e.preventDefault();
      setOpen(true);
    }
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  useEffect(() => {
    const d = dialogRef.current;
    if (!d) return;
    if (open && !d.open) {
      d.showModal();
      selectRef.current?.focus();
    } else if (!open && d.open) {
      d.close();
      openerRef.current?.focus();
    }
  }, [open]);

  function close() {
    setOpen(false);
    setMacroId("");
    setPreview(null);
    setError(null);
  }

  async function choose(next: string) {
    setMacroId(next);
    setPreview(null);
    setError(null);
    if (!next) return;
    setLoading(true);
    const r = await api<PreviewData>("POST", `/api/v1/tickets/${ticketId}/macros/${next}/preview`);
    setLoading(false);
    if (r.ok) setPreview(r.data);
    else setError(describeFailure(r.error));
  }

  async function apply() {
    const macro = macros.find((m) => m.id === macroId);
    if (!macro || applying) return;
    setApplying(true);
    setError(null);
    const r = await api<PreviewData>("POST", `/api/v1/tickets/${ticketId}/macros/${macroId}/apply`);
    setApplying(false);
    if (!r.ok) {
      setError(describeFailure(r.error));
      return;
    }
    const changed = Object.keys(r.data.changes).length;
    // Close the modal first: the reply box takes focus with the reply (the page behind a modal is inert).
    dialogRef.current?.close();
    if (r.data.reply) window.dispatchEvent(new CustomEvent(INSERT_REPLY_EVENT, { detail: r.data.reply }));
    else openerRef.current?.focus();
    setStatus(
      `Macro ${macro.name} applied${changed ? `: ${changed} ${changed === 1 ? "field" : "fields"} changed` : ""}${r.data.reply ? "; its reply is in the reply box, ready to edit and send" : ""}.`,
    );
    close();
    router.refresh();
  }

  const nameOf = (uid: string | null) =>
    uid ? (agents.find((a) => a.id === uid)?.name ?? "an unknown agent") : "nobody";
  const changes = preview ? Object.entries(preview.changes) : [];
  const shared = macros.filter((m) => m.shared);
  const mine = macros.filter((m) => !m.shared);

  return (
    <div className="macro-picker">
      <button
        ref={openerRef}
        type="button"
        className="button"
        onClick={() => setOpen(true)}
        disabled={!hydrated}
        aria-haspopup="dialog"
        aria-keyshortcuts="m"
      >
        Apply macro
      </button>
      <p className="hint">
        Keyboard: <kbd>m</kbd> applies a macro.
      </p>
      <p role="status" className="save-status" data-testid="macro-status">
        {status}
      </p>
      <dialog
        ref={dialogRef}
        className={s.dialog}
        aria-labelledby={`${id}-title`}
        onCancel={(e) => {
          e.preventDefault();
          if (!applying) close();
        }}
        data-testid="macro-dialog"
      >
        <h2 id={`${id}-title`}>Apply a macro</h2>
        {macros.length === 0 ? (
          <p>No macros yet. Admins add shared ones on Admin → Macros; you can add your own under Account → Macros.</p>
        ) : (
          <div className="field">
            <label htmlFor={`${id}-macro`}>Macro</label>
            <select ref={selectRef} id={`${id}-macro`} value={macroId} onChange={(e) => void choose(e.target.value)}>
              <option value="">Choose a macro</option>
              {shared.length ? (
                <optgroup label="Shared">
                  {shared.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </optgroup>
              ) : null}
              {mine.length ? (
                <optgroup label="Yours">
                  {mine.map((m) => (
                    <option key={m.id} value={m.id}>
                      {m.name}
                    </option>
                  ))}
                </optgroup>
              ) : null}
            </select>
          </div>
        )}
        <div aria-live="polite" aria-busy={loading} data-testid="macro-preview">
          {loading ? <p className="muted">Loading the preview…</p> : null}
          {preview ? (
            <>
              <h3>Preview</h3>
              {preview.reply ? (
                <>
                  <p className="hint">Reply (goes into the reply box; you send it):</p>
                  <pre className="macro-reply" data-testid="macro-preview-reply">
                    {preview.reply}
                  </pre>
                </>
              ) : (
                <p className="muted">No reply text.</p>
              )}
              {changes.length || preview.effects.length ? (
                <ul data-testid="macro-preview-changes">
                  {changes.map(([field, c]) => (
                    <li key={field}>{describeChange(field, c, nameOf)}</li>
                  ))}
                  {preview.effects.map((e, i) => (
                    <li key={i}>{describeEffect(e, { agents, groups, webhooks: [] })}</li>
                  ))}
                </ul>
              ) : (
                <p className="muted">No field changes.</p>
              )}
            </>
          ) : null}
        </div>
        <div role="alert">{error ? <p className="error">{error}</p> : null}</div>
        <div className={s.dialogActions}>
          <button type="button" className="button" onClick={close} disabled={applying}>
            Cancel
          </button>
          <button
            type="button"
            className="button primary"
            onClick={() => void apply()}
            disabled={!preview || applying}
            aria-busy={applying}
          >
            {applying ? "Applying…" : "Apply macro"}
          </button>
        </div>
      </dialog>
    </div>
  );
}
