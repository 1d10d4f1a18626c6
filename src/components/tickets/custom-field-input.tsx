"use client";

import type { FieldDraft } from "@/lib/custom-fields";
import type { components } from "@/lib/api-types";

export type TicketField = components["schemas"]["TicketField"];

type Props = {
  field: TicketField;
  /** Unique on the page: the new-ticket form and the side panel never share one. */
  idPrefix: string;
  value: FieldDraft;
  onChange: (v: FieldDraft) => void;
  /** Whether the person must give a value here (required on create, on the new-ticket form). */
  required?: boolean;
  error?: string | null;
  disabled?: boolean;
};

/**
 * One custom field as the input its type asks for: a line or a box of text, a number, a date
 * picker, a checkbox, a drop-down, or a group of checkboxes for a multi-select. Errors are tied to
 * the input (aria-invalid + aria-describedby) so a screen reader reads them with it.
 */
export function CustomFieldInput({ field: f, idPrefix, value, onChange, required = false, error, disabled }: Props) {
  const id = `${idPrefix}-${f.key}`;
  const errId = `${id}-error`;
  const invalid = error ? true : undefined;
  const errorText = (
    <p id={errId} className="field-error">
      {error ?? ""}
    </p>
  );
  const label = required ? `${f.label} (required)` : f.label;

  if (f.type === "checkbox") {
    return (
      <div className="field">
        <label className="cf-check">
          <input
            id={id}
            type="checkbox"
            checked={value === true}
            disabled={disabled}
            onChange={(e) => onChange(e.target.checked)}
            aria-describedby={errId}
            aria-invalid={invalid}
          />
          {f.label}
        </label>
        {errorText}
      </div>
    );
  }
  if (f.type === "multiselect") {
    const picked = Array.isArray(value) ? value : [];
    return (
      <fieldset className="cf-group" aria-describedby={errId} data-testid={`cf-input-${f.key}`}>
        <legend>{label}</legend>
        {f.options.map((o) => (
          <label key={o} className="cf-check">
            <input
              type="checkbox"
              checked={picked.includes(o)}
              disabled={disabled}
              onChange={(e) =>
                onChange(
                  e.target.checked
                    ? f.options.filter((x) => x === o || picked.includes(x))
                    : picked.filter((x) => x !== o),
                )
              }
            />
            {o}
          </label>
        ))}
        {errorText}
      </fieldset>
    );
  }
  const text = typeof value === "string" ? value : "";
  const common = { id, disabled, required, "aria-invalid": invalid, "aria-describedby": errId } as const;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {f.type === "dropdown" ? (
        <select {...common} value={text} onChange={(e) => onChange(e.target.value)}>
          <option value="">{required ? "Choose…" : "—"}</option>
          {/* A value whose option was removed since stays shown until it is changed (decision 050). */}
          {text && !f.options.includes(text) ? <option value={text}>{text}</option> : null}
          {f.options.map((o) => (
            <option key={o} value={o}>
              {o}
            </option>
          ))}
        </select>
      ) : f.type === "textarea" ? (
        <textarea {...common} rows={3} maxLength={10_000} value={text} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input
          {...common}
          type={f.type === "date" ? "date" : "text"}
          inputMode={f.type === "integer" ? "numeric" : f.type === "decimal" ? "decimal" : undefined}
          maxLength={f.type === "text" ? 1000 : undefined}
          autoComplete="off"
          value={text}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {errorText}
    </div>
  );
}
