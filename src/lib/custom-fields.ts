// Custom ticket fields in forms (decision 050): what each type is called, and how the text of an
// input becomes the value the API takes. Pure, shared by the admin page, the new-ticket form and
// the side panel. The server checks every value again against the definitions; this only turns
// what a person typed into JSON and catches what cannot be sent at all (a number that is not one).

export const FIELD_TYPE_KEYS = [
  "text",
  "textarea",
  "integer",
  "decimal",
  "date",
  "checkbox",
  "dropdown",
  "multiselect",
] as const;
export type FieldTypeKey = (typeof FIELD_TYPE_KEYS)[number];

export const FIELD_TYPE_LABELS: Record<FieldTypeKey, string> = {
  text: "Text",
  textarea: "Long text",
  integer: "Number",
  decimal: "Decimal",
  date: "Date",
  checkbox: "Checkbox",
  dropdown: "Drop-down",
  multiselect: "Multi-select",
};

/** A key the API accepts (^[a-z][a-z0-9_]*$, at most 40) suggested from a label: "Résumé plan #2" → resume_plan_2. */
export function keyFromLabel(label: string): string {
  const words = label
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .replace(/[^a-z0-9]+/g, "_");
  return words
    .replace(/^[^a-z]+/, "")
    .slice(0, 40)
    .replace(/_+$/, "");
}

export const isChoiceType = (t: string) => t === "dropdown" || t === "multiselect";

/** A stored value, as tickets carry it in customFields. */
export type FieldValue = string | number | boolean | string[];
/** What an input holds: text for text, numbers and dates and drop-downs, a flag for a checkbox, the ticked options of a multi-select. */
export type FieldDraft = string | boolean | string[];

type Def = { type: string; label: string };

/** The input's starting state for a stored value (undefined: the ticket has none). */
export function draftOf(def: Def, v: FieldValue | undefined): FieldDraft {
  if (def.type === "checkbox") return v === true;
  if (def.type === "multiselect") return Array.isArray(v) ? v : [];
  return v === undefined || Array.isArray(v) || typeof v === "boolean" ? "" : String(v);
}

/**
 * The value to send for an input: null when it is empty (no value), or a sentence saying why it
 * cannot be sent. A checkbox always has a value (ticked or not).
 */
export function readDraft(def: Def, d: FieldDraft): { value: FieldValue | null } | { error: string } {
  if (def.type === "checkbox") return { value: d === true };
  if (def.type === "multiselect") return { value: Array.isArray(d) && d.length ? d : null };
  const text = typeof d === "string" ? d.trim() : "";
  if (!text) return { value: null };
  if (def.type === "integer" || def.type === "decimal") {
    const n = Number(text.replace(/\s/g, ""));
    if (!Number.isFinite(n)) return { error: `${def.label} must be a number.` };
    if (def.type === "integer" && !Number.isInteger(n)) return { error: `${def.label} must be a whole number.` };
    return { value: n };
  }
  if (def.type === "date" && !/^\d{4}-\d{2}-\d{2}$/.test(text))
    return { error: `${def.label} must be a date (YYYY-MM-DD).` };
  return { value: text };
}

/** A value as text for a person: "—" when there is none. */
export function shownValue(v: FieldValue | undefined): string {
  if (v === undefined) return "—";
  if (Array.isArray(v)) return v.join(", ");
  if (typeof v === "boolean") return v ? "Yes" : "No";
  return String(v);
}

export const sameValue = (a: FieldValue | null | undefined, b: FieldValue | null | undefined) =>
  JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
