"use client";

import { useRouter } from "next/navigation";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { api, describeFailure, type ApiFailure } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import { useHydrated } from "../use-hydrated";
import s from "../admin/admin.module.css";
import { ConfirmDialog } from "../admin/confirm-dialog";
import { ActionList, FieldError, errorProps, knownPaths } from "./rule-fields";
import { useValidation } from "./use-validation";
import {
  ACTION_TYPES,
  MACRO_ACTION_TYPES,
  actionToRow,
  placeIssues,
  rowToAction,
  type ActRow,
  type ApiAction,
  type RuleRefs,
} from "./rule-model";

// Macros (issue 13 item 4): admins manage the shared ones on Admin → Macros, every agent their
// personal ones on Account → Macros. The editor checks the draft as you type (POST
// /macros/validate, debounced), like the rule editor.

export type MacroData = {
  id: string;
  name: string;
  shared: boolean;
  ownerId: string | null;
  reply: string | null;
  actions: ApiAction[];
  updatedAt: string;
};

export const PLACEHOLDER_HINT =
  "{{requester.first_name}}, {{requester.name}}, {{ticket.number}}, {{ticket.subject}}, {{agent.first_name}}, {{org.name}}";

function MacroEditor({
  macro,
  shared,
  refs,
  onDone,
}: {
  macro: MacroData | null;
  shared: boolean;
  refs: RuleRefs;
  onDone: (message: string) => void;
}) {
  const router = useRouter();
  const base = useId().replace(/:/g, "");
  const [name, setName] = useState(macro?.name ?? "");
  const [reply, setReply] = useState(macro?.reply ?? "");
  const [actions, setActions] = useState<ActRow[]>(() => macro?.actions.map(actionToRow) ?? []);
  const [touched, setTouched] = useState(Boolean(macro));
  const [saving, setSaving] = useState(false);
  const [failure, setFailure] = useState<ApiFailure | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);

  const draft = { name, reply: reply.trim() ? reply : null, actions: actions.map(rowToAction) };

  const { issues, checking } = useValidation("/api/v1/macros/validate", JSON.stringify({ ...draft, shared }), touched);

  useEffect(() => nameRef.current?.focus(), []);

  const shown = failure?.status === 400 && failure.issues.length ? failure.issues : issues;
  const { at: errors, rest } = placeIssues(shown, knownPaths([], [], actions, ["reply"]));

  async function save(e: FormEvent) {
    e.preventDefault();
    setTouched(true);
    setSaving(true);
    setFailure(null);
    const r = macro
      ? await api<MacroData>("PATCH", `/api/v1/macros/${macro.id}`, draft)
      : await api<MacroData>("POST", "/api/v1/macros", { ...draft, shared });
    setSaving(false);
    if (!r.ok) {
      setFailure(r.error);
      return;
    }
    router.refresh();
    onDone(macro ? `Macro ${r.data.name} saved.` : `Macro ${r.data.name} created.`);
  }

  const edit =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setTouched(true);
      setFailure(null);
    };

  return (
    <form
      className="rule-editor"
      onSubmit={save}
      noValidate
      aria-labelledby={`${base}-title`}
      data-testid="macro-editor"
    >
      <h3 id={`${base}-title`}>
        {macro ? `Edit macro “${macro.name}”` : shared ? "New shared macro" : "New personal macro"}
      </h3>
      <div className="field">
        <label htmlFor={`${base}-name`}>Name</label>
        <input
          ref={nameRef}
          {...errorProps(base, "name", errors)}
          type="text"
          value={name}
          maxLength={100}
          autoComplete="off"
          onChange={(e) => edit(setName)(e.target.value)}
        />
        <FieldError base={base} path="name" errors={errors} />
      </div>
      <div className="field">
        <label htmlFor={`${base}-reply`}>Reply text</label>
        <textarea
          {...errorProps(base, "reply", errors)}
          aria-describedby={[`${base}-reply-hint`, errors.get("reply") ? `${base}-reply-err` : ""]
            .filter(Boolean)
            .join(" ")}
          rows={5}
          value={reply}
          maxLength={64 * 1024}
          onChange={(e) => edit(setReply)(e.target.value)}
        />
        <p id={`${base}-reply-hint`} className="hint">
          Optional. Goes into the reply box when applied (not sent). Placeholders: {PLACEHOLDER_HINT}.
        </p>
        <FieldError base={base} path="reply" errors={errors} />
      </div>
      <ActionList
        rows={actions}
        onChange={edit(setActions)}
        refs={refs}
        errors={errors}
        base={base}
        types={MACRO_ACTION_TYPES}
        min={0}
      />
      <div className="validation-summary">
        <p role="status" className={shown.length ? "field-error" : "hint"}>
          {!touched
            ? ""
            : checking
              ? "Checking…"
              : shown.length
                ? `${shown.length} ${shown.length === 1 ? "problem" : "problems"} to fix.`
                : "The macro is valid."}
        </p>
        {rest.length ? (
          <ul className="field-error">
            {rest.map((i) => (
              <li key={`${i.path}:${i.message}`}>{i.path ? `${i.path}: ${i.message}` : i.message}</li>
            ))}
          </ul>
        ) : null}
      </div>
      <div role="alert" className={s.alert}>
        {failure && !(failure.status === 400 && failure.issues.length) ? (
          <p className="error">{describeFailure(failure)}</p>
        ) : null}
      </div>
      <div className={s.formActions}>
        <button type="submit" className="button primary" disabled={saving} aria-busy={saving}>
          {saving ? "Saving…" : macro ? "Save macro" : "Create macro"}
        </button>
        <button type="button" className="button subtle" onClick={() => onDone("")}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The list of macros one may change here (shared ones for admins; one's own personal ones), with the editor. */
export function MacrosAdmin({ macros, shared, refs }: { macros: MacroData[]; shared: boolean; refs: RuleRefs }) {
  const { run, busyKey, status, failure } = useApiAction();
  const [editing, setEditing] = useState<MacroData | "new" | null>(null);
  const [deleting, setDeleting] = useState<MacroData | null>(null);
  const [done, setDone] = useState("");
  const hydrated = useHydrated();
  // The latest outcome is the one shown: a list action clears the editor's "saved" message.
  const act: typeof run = (call, done, options) => {
    setDone("");
    return run(call, done, options);
  };

  return (
    <>
      {macros.length === 0 ? (
        <p className="muted">{shared ? "No shared macros yet." : "You have no personal macros yet."}</p>
      ) : (
        <div className={s.tableWrap}>
          <table className={s.table} data-testid="macro-list">
            <caption className="visually-hidden">{shared ? "Shared macros" : "Your macros"}</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Does</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {macros.map((m) => (
                <tr key={m.id}>
                  <td>
                    <strong>{m.name}</strong>
                  </td>
                  <td>
                    {[m.reply ? "Fills the reply" : null, ...m.actions.map((a) => ACTION_TYPES[a.type] ?? a.type)]
                      .filter(Boolean)
                      .join(", ") || <span className="muted">Nothing</span>}
                  </td>
                  <td className={s.rowActions}>
                    <button
                      type="button"
                      className="button subtle"
                      onClick={() => {
                        setDone("");
                        setEditing(m);
                      }}
                      aria-label={`Edit macro ${m.name}`}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className={`button ${s.dangerOutline}`}
                      onClick={() => setDeleting(m)}
                      aria-label={`Delete macro ${m.name}`}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <ActionFeedback status={done || status} failure={failure} statusTestId="macro-status" />
      {editing ? (
        <MacroEditor
          key={editing === "new" ? "new" : editing.id}
          macro={editing === "new" ? null : editing}
          shared={shared}
          refs={refs}
          onDone={(message) => {
            setEditing(null);
            setDone(message);
          }}
        />
      ) : (
        <div className={s.formActions}>
          <button
            type="button"
            className="button primary"
            disabled={!hydrated}
            onClick={() => {
              setDone("");
              setEditing("new");
            }}
          >
            {shared ? "New shared macro" : "New personal macro"}
          </button>
        </div>
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this macro?"
        confirmLabel="Delete macro"
        danger
        busy={deleting !== null && busyKey === deleting.id}
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          const m = deleting!;
          await act(
            () => api<void>("DELETE", `/api/v1/macros/${m.id}`),
            () => `Macro ${m.name} deleted.`,
            { key: m.id },
          );
          setDeleting(null);
        }}
      >
        <p>
          “{deleting?.name}” will no longer be offered on tickets{deleting?.shared ? " to anyone" : ""}.
        </p>
      </ConfirmDialog>
    </>
  );
}
