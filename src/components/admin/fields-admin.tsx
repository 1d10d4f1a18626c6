"use client";

import { useId, useState, type FormEvent } from "react";
import { FIELD_TYPE_KEYS, FIELD_TYPE_LABELS, isChoiceType, keyFromLabel, type FieldTypeKey } from "@/lib/custom-fields";
import type { components } from "@/lib/api-types";
import { api, type ApiFailure } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import { useHydrated } from "../use-hydrated";
import { Field } from "../field";
import { ConfirmDialog } from "./confirm-dialog";
import s from "./admin.module.css";

// Admin → Ticket fields (issue 14 item 1, decision 050): the org's custom ticket fields, their
// rules (required on create / to solve, what customers see and set) and, for drop-downs and
// multi-selects, their options. Key and type are fixed once created (values are stored under the
// key and read by the type), so the edit form shows them without inputs.

export type FieldData = components["schemas"]["TicketField"];

const FLAGS = [
  { name: "requiredOnCreate", label: "Required on create" },
  { name: "requiredOnSolve", label: "Required to solve" },
  { name: "customerVisible", label: "Visible to customers" },
  { name: "customerEditable", label: "Editable by customers" },
] as const;
type Flag = (typeof FLAGS)[number]["name"];

/** Server issues for one input, in words; a key like "options.2" counts for "options". */
function issueOf(failure: ApiFailure | null, path: string) {
  const list = failure?.issues.filter((i) => i.path === path || i.path.startsWith(`${path}.`)) ?? [];
  return list.length ? list.map((i) => i.message).join("; ") : null;
}

const parseOptions = (text: string) =>
  text
    .split("\n")
    .map((o) => o.trim())
    .filter(Boolean);

function FieldForm({ field, onDone }: { field: FieldData | null; onDone: () => void }) {
  const id = useId().replace(/:/g, "");
  const hydrated = useHydrated();
  const { run, busy, status, failure } = useApiAction();
  const [label, setLabel] = useState(field?.label ?? "");
  const [key, setKey] = useState(field?.key ?? "");
  const [keyTouched, setKeyTouched] = useState(field !== null);
  const [type, setType] = useState<FieldTypeKey>((field?.type as FieldTypeKey | undefined) ?? "text");
  const [options, setOptions] = useState((field?.options ?? []).join("\n"));
  const [flags, setFlags] = useState<Record<Flag, boolean>>({
    requiredOnCreate: field?.requiredOnCreate ?? false,
    requiredOnSolve: field?.requiredOnSolve ?? false,
    customerVisible: field?.customerVisible ?? false,
    customerEditable: field?.customerEditable ?? false,
  });
  const choice = isChoiceType(type);

  function setFlag(name: Flag, on: boolean) {
    // Editable implies visible, both ways, so the form never holds a pair the API refuses.
    const next = { ...flags, [name]: on };
    if (name === "customerEditable" && on) next.customerVisible = true;
    if (name === "customerVisible" && !on) next.customerEditable = false;
    setFlags(next);
  }

  async function submit(e: FormEvent) {
    e.preventDefault();
    const opts = choice ? { options: parseOptions(options) } : {};
    const r = field
      ? await run(
          () => api<FieldData>("PATCH", `/api/v1/fields/${field.id}`, { label, ...opts, ...flags }),
          (f) => `Field ${f.label} saved.`,
        )
      : await run(
          () => api<FieldData>("POST", "/api/v1/fields", { key, label, type, ...opts, ...flags }),
          (f) => `Field ${f.label} created (key ${f.key}).`,
        );
    if (r.ok) {
      if (!field) {
        setLabel("");
        setKey("");
        setKeyTouched(false);
        setType("text");
        setOptions("");
        setFlags({ requiredOnCreate: false, requiredOnSolve: false, customerVisible: false, customerEditable: false });
      }
      onDone();
      return;
    }
    const first = ["label", "key", "type", "options"].find((p) => issueOf(r.error, p));
    document.getElementById(`${id}-${first ?? "label"}`)?.focus();
  }

  const err = (p: string) => issueOf(failure, p);
  const errorLine = (p: string) =>
    err(p) ? (
      <p id={`${id}-${p}-err`} className="field-error">
        {err(p)}
      </p>
    ) : null;
  return (
    <>
      <form
        onSubmit={submit}
        noValidate
        className={s.section}
        aria-label={field ? `Edit field ${field.label}` : "New field"}
      >
        <div className={s.formGrid}>
          <Field id={`${id}-label`} label="Label" error={err("label")}>
            {(aria) => (
              <input
                {...aria}
                value={label}
                maxLength={100}
                autoComplete="off"
                onChange={(e) => {
                  setLabel(e.target.value);
                  // The key follows the label until it is typed in: "Plan tier" → plan_tier.
                  if (!keyTouched) setKey(keyFromLabel(e.target.value));
                }}
              />
            )}
          </Field>
          {field ? (
            <p className="hint">
              Key <span className={s.mono}>{field.key}</span>, type{" "}
              {FIELD_TYPE_LABELS[field.type as FieldTypeKey] ?? field.type}: fixed once created.
            </p>
          ) : (
            <>
              <Field
                id={`${id}-key`}
                label="Key"
                error={err("key")}
                hint="Lower-case letters, digits and _; used in the API, filters (cf.key) and export. Fixed once created."
              >
                {(aria) => (
                  <input
                    {...aria}
                    value={key}
                    maxLength={40}
                    autoComplete="off"
                    autoCapitalize="none"
                    spellCheck={false}
                    onChange={(e) => {
                      setKey(e.target.value);
                      setKeyTouched(true);
                    }}
                  />
                )}
              </Field>
              <Field id={`${id}-type`} label="Type" error={err("type")}>
                {(aria) => (
                  <select {...aria} value={type} onChange={(e) => setType(e.target.value as FieldTypeKey)}>
                    {FIELD_TYPE_KEYS.map((t) => (
                      <option key={t} value={t}>
                        {FIELD_TYPE_LABELS[t]}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </>
          )}
        </div>
        {choice ? (
          <Field
            id={`${id}-options`}
            label="Options, one per line"
            error={err("options")}
            hint={field ? "Tickets keep a removed option's value until it is changed." : "Shown in this order."}
          >
            {(aria) => <textarea {...aria} rows={4} value={options} onChange={(e) => setOptions(e.target.value)} />}
          </Field>
        ) : null}
        <fieldset className={s.checks} aria-describedby={`${id}-rules-hint`}>
          <legend>Rules</legend>
          {FLAGS.map((f) => (
            <label key={f.name} className={s.check}>
              <input
                type="checkbox"
                checked={flags[f.name]}
                onChange={(e) => setFlag(f.name, e.target.checked)}
                aria-describedby={err(f.name) ? `${id}-${f.name}-err` : undefined}
              />
              {f.label}
            </label>
          ))}
        </fieldset>
        <p id={`${id}-rules-hint`} className="hint">
          Required on create is asked of customers only for fields they may edit; required to solve stops agents solving
          without a value. Editable by customers implies visible; fields not visible to customers are never in their
          answers.
        </p>
        {FLAGS.map((f) => errorLine(f.name))}
        <div className={s.formActions}>
          <button type="submit" className="button primary" disabled={busy || !hydrated} aria-busy={busy}>
            {field ? "Save field" : "Create field"}
          </button>
          {field ? (
            <button type="button" className="button subtle" onClick={onDone}>
              Cancel
            </button>
          ) : null}
        </div>
      </form>
      <ActionFeedback status={status} failure={failure} statusTestId={field ? "field-edit-status" : "field-status"} />
    </>
  );
}

export function NewFieldForm() {
  return <FieldForm field={null} onDone={() => undefined} />;
}

function Rules({ f }: { f: FieldData }) {
  const badges = [
    f.requiredOnCreate ? ["Required on create", s.badgeWarn] : null,
    f.requiredOnSolve ? ["Required to solve", s.badgeWarn] : null,
    f.customerEditable
      ? ["Customers edit", s.badgeOk]
      : f.customerVisible
        ? ["Customers see", s.badgeInfo]
        : ["Staff only", ""],
  ].filter((b): b is string[] => b !== null);
  return (
    <span className={s.badges}>
      {badges.map(([text, cls]) => (
        <span key={text} className={`${s.badge} ${cls}`}>
          {text}
        </span>
      ))}
    </span>
  );
}

export function FieldsAdmin({ fields }: { fields: FieldData[] }) {
  const { run, busyKey, status, failure } = useApiAction();
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<FieldData | null>(null);

  if (fields.length === 0)
    return <p className="muted">No custom fields yet. Tickets have only the built-in properties.</p>;
  return (
    <>
      <div className={s.tableWrap}>
        <table className={`${s.table} ${s.stack}`} data-testid="field-list">
          <caption className="visually-hidden">Custom ticket fields</caption>
          <thead>
            <tr>
              <th scope="col">Field</th>
              <th scope="col">Type</th>
              <th scope="col">Rules</th>
              <th scope="col">Options</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {fields.map((f) =>
              editing === f.id ? (
                <tr key={f.id}>
                  <td colSpan={5}>
                    <FieldForm field={f} onDone={() => setEditing(null)} />
                  </td>
                </tr>
              ) : (
                <tr key={f.id}>
                  <td>
                    <span className={s.who}>
                      <strong>{f.label}</strong>
                      <span className={s.mono}>{f.key}</span>
                    </span>
                  </td>
                  <td>
                    <span className={s.cellLabel}>Type</span>
                    {FIELD_TYPE_LABELS[f.type as FieldTypeKey] ?? f.type}
                  </td>
                  <td>
                    <span className={s.cellLabel}>Rules</span>
                    <Rules f={f} />
                  </td>
                  <td>
                    <span className={s.cellLabel}>Options</span>
                    {f.options.length ? f.options.join(", ") : <span className="muted">—</span>}
                  </td>
                  <td className={s.rowActions}>
                    <button
                      type="button"
                      className="button subtle"
                      onClick={() => setEditing(f.id)}
                      aria-label={`Edit ${f.label}`}
                    >
                      Edit
                    </button>
                    <button
                      type="button"
                      className={`button ${s.dangerOutline}`}
                      onClick={() => setDeleting(f)}
                      aria-label={`Delete ${f.label}`}
                    >
                      Delete
                    </button>
                  </td>
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
      <ActionFeedback status={status} failure={failure} statusTestId="field-list-status" />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete this field?"
        confirmLabel="Delete field"
        danger
        busy={deleting !== null && busyKey === deleting.id}
        onCancel={() => setDeleting(null)}
        onConfirm={async () => {
          const f = deleting!;
          await run(
            () => api<void>("DELETE", `/api/v1/fields/${f.id}`),
            () => `Field ${f.label} deleted, with its values on every ticket.`,
            { key: f.id },
          );
          setDeleting(null);
        }}
      >
        <p>
          “{deleting?.label}” is removed from every ticket of the organization that has a value for it: the tickets are
          rewritten and the values cannot be brought back, even by creating a field with the same key again. Saved views
          that filter on cf.{deleting?.key} stop working until they are edited.
        </p>
      </ConfirmDialog>
    </>
  );
}
