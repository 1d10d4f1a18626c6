import type { FieldView } from "@/server/fields/schemas";

type Value = string | number | boolean | string[];

function shown(f: FieldView, v: Value | undefined): string {
  if (v === undefined) return "—";
  if (Array.isArray(v)) return v.join(", ");
  if (typeof v === "boolean") return v ? "Yes" : "No";
  return String(v);
}

/**
 * The ticket's custom fields in the side panel (decision 050), read-only: the fields the viewer may
 * see (customers: the customer-visible ones), in the org's order, "—" where the ticket has no value.
 */
export function CustomFieldsPanel({ fields, values }: { fields: FieldView[]; values: Record<string, Value> }) {
  if (fields.length === 0) return null;
  return (
    <section className="card side-card" aria-labelledby="custom-fields-title" data-testid="custom-fields-panel">
      <h2 id="custom-fields-title">Fields</h2>
      <dl className="facts">
        {fields.map((f) => (
          <div key={f.id}>
            <dt>{f.label}</dt>
            <dd data-testid={`custom-field-${f.key}`} style={f.type === "textarea" ? { whiteSpace: "pre-wrap" } : undefined}>
              {shown(f, values[f.key])}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
