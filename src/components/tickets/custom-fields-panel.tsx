"use client";

import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { draftOf, readDraft, sameValue, shownValue, type FieldDraft, type FieldValue } from "@/lib/custom-fields";
import { api, describeFailure } from "../api-client";
import { EditConflict, type ConflictField } from "../edit-conflict";
import { useHydrated } from "../use-hydrated";
import { CustomFieldInput, type TicketField } from "./custom-field-input";
import { announceTicketVersion, useTicketVersion, versionOfEtag } from "./ticket-version";

type Values = Record<string, FieldValue>;
type Props = {
  ticketId: string;
  /** The fields the viewer may see (customers: the customer-visible ones), in the org's order. */
  fields: TicketField[];
  values: Values;
  /** The ticket's version the page loaded: every save names it (If-Match), so a stale edit is a 412, not an overwrite. */
  version: number;
  /** Staff edit every field, customers the customer-editable ones; nobody edits a closed ticket. */
  editable: boolean | "customer";
};

const draftsOf = (fields: TicketField[], values: Values) =>
  Object.fromEntries(fields.map((f) => [f.key, draftOf(f, values[f.key])]));

/**
 * The ticket's custom fields in the side panel (decision 050): the fields the viewer may see, "—"
 * where the ticket has no value, and for those they may set an input of the field's type, saved
 * together (PATCH customFields with the changed keys only, If-Match the loaded version). A 412
 * shows which values someone else changed meanwhile and lets the person re-apply or discard.
 */
export function CustomFieldsPanel({ ticketId, fields, values, version, editable }: Props) {
  const router = useRouter();
  const hydrated = useHydrated();
  const canEdit = (f: TicketField) => editable === true || (editable === "customer" && f.customerEditable);
  const [drafts, setDrafts] = useState<Record<string, FieldDraft>>(() => draftsOf(fields, values));
  const [seen, setSeen] = useState({ version, values });
  const [pending, setPending] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [conflict, setConflict] = useState<{
    patch: Record<string, FieldValue | null>;
    mine: string;
    fields: ConflictField[];
    etag: string;
  } | null>(null);

  // A newer version from the server (someone else's change) replaces the inputs. The panel's own
  // saves move `seen` at once from the answer, so the refresh that follows changes nothing typed since.
  if (version > seen.version) {
    setSeen({ version, values });
    setDrafts(draftsOf(fields, values));
  }
  const current = seen.values;
  // A save in the properties above moves the version without touching these values.
  useTicketVersion(ticketId, (v) => {
    if (v > seen.version) setSeen((s) => ({ ...s, version: v }));
  });

  if (fields.length === 0) return null;
  const labelOf = (key: string) => fields.find((f) => f.key === key)?.label ?? key;
  const mineText = (patch: Record<string, FieldValue | null>) =>
    Object.entries(patch)
      .map(([k, v]) => `${labelOf(k)}: ${shownValue(v ?? undefined)}`)
      .join(", ");

  /** The inputs show a version the server just answered with (ETag "7"), before the page's refresh brings it. */
  function showVersion(etag: string | undefined, saved: Values) {
    const v = versionOfEtag(etag);
    if (v === null) return;
    setSeen({ version: v, values: saved });
    setDrafts(draftsOf(fields, saved));
  }

  async function save(patch: Record<string, FieldValue | null>, ifMatch: string) {
    setPending(true);
    setError(null);
    setConflict(null);
    setStatus("Saving…");
    const r = await api<{ customFields: Values }>(
      "PATCH",
      `/api/v1/tickets/${ticketId}`,
      { customFields: patch },
      { ifMatch },
    );
    if (!r.ok && r.error.status === 412) {
      const now = await api<{ customFields: Values }>("GET", `/api/v1/tickets/${ticketId}`);
      setPending(false);
      setStatus("");
      if (!now.ok || !now.etag) {
        setError(now.ok ? "This ticket has changed. Reload the page to see it." : describeFailure(now.error));
        return;
      }
      const changed = fields
        .filter((f) => !sameValue(seen.values[f.key], now.data.customFields[f.key]))
        .map((f) => ({
          label: f.label,
          was: shownValue(seen.values[f.key]),
          now: shownValue(now.data.customFields[f.key]),
        }));
      setConflict({ patch, mine: mineText(patch), fields: changed, etag: now.etag });
      showVersion(now.etag, now.data.customFields);
      router.refresh();
      return;
    }
    setPending(false);
    if (!r.ok) {
      setStatus("");
      setErrors(
        Object.fromEntries(
          r.error.issues
            .filter((i) => i.path.startsWith("customFields."))
            .map((i) => [i.path.split(".")[1]!, i.message]),
        ),
      );
      setError(describeFailure(r.error));
      return;
    }
    setErrors({});
    showVersion(r.etag, r.data.customFields);
    announceTicketVersion(ticketId, r.etag);
    setStatus(`Saved ${mineText(patch)}.`);
    router.refresh();
  }

  function submit(e: FormEvent) {
    e.preventDefault();
    const patch: Record<string, FieldValue | null> = {};
    const errs: Record<string, string> = {};
    for (const f of fields.filter(canEdit)) {
      const r = readDraft(f, drafts[f.key] ?? draftOf(f, undefined));
      if ("error" in r) errs[f.key] = r.error;
      // An untouched checkbox that never had a value stays without one.
      else if (
        !sameValue(r.value, current[f.key]) &&
        !(f.type === "checkbox" && r.value === false && current[f.key] === undefined)
      )
        patch[f.key] = r.value;
    }
    setErrors(errs);
    if (Object.keys(errs).length) {
      setStatus("");
      setError("Check the highlighted fields.");
      return;
    }
    if (Object.keys(patch).length === 0) {
      setError(null);
      setStatus("Nothing changed.");
      return;
    }
    void save(patch, `"${seen.version}"`);
  }

  const anyEditable = fields.some(canEdit);
  return (
    <section className="card side-card" aria-labelledby="custom-fields-title" data-testid="custom-fields-panel">
      <h2 id="custom-fields-title">Fields</h2>
      {fields.some((f) => !canEdit(f)) ? (
        <dl className="facts">
          {fields
            .filter((f) => !canEdit(f))
            .map((f) => (
              <div key={f.id}>
                <dt>{f.label}</dt>
                <dd
                  data-testid={`custom-field-${f.key}`}
                  style={f.type === "textarea" ? { whiteSpace: "pre-wrap" } : undefined}
                >
                  {shownValue(current[f.key])}
                </dd>
              </div>
            ))}
        </dl>
      ) : null}
      {anyEditable ? (
        <form className="properties" onSubmit={submit} noValidate aria-busy={pending} aria-label="Edit fields">
          {fields.filter(canEdit).map((f) => (
            <CustomFieldInput
              key={f.id}
              field={f}
              idPrefix="panel-cf"
              value={drafts[f.key] ?? draftOf(f, undefined)}
              onChange={(v) => setDrafts((d) => ({ ...d, [f.key]: v }))}
              error={errors[f.key]}
              disabled={pending}
            />
          ))}
          {fields.some((f) => canEdit(f) && f.requiredOnSolve && editable === true) ? (
            <p className="hint">
              Needed before solving:{" "}
              {fields
                .filter((f) => f.requiredOnSolve)
                .map((f) => f.label)
                .join(", ")}
              .
            </p>
          ) : null}
          <button type="submit" className="button subtle" disabled={!hydrated || pending} aria-busy={pending}>
            Save fields
          </button>
          {conflict ? (
            <EditConflict
              fields={conflict.fields}
              mine={conflict.mine}
              busy={pending}
              onReapply={() => void save(conflict.patch, conflict.etag)}
              onDiscard={() => {
                setConflict(null);
                setDrafts(draftsOf(fields, current));
                setStatus("Your change was discarded; showing the current values.");
              }}
            />
          ) : null}
          <p role="status" className="save-status" data-testid="custom-fields-status">
            {status}
          </p>
          <div role="alert">{error ? <p className="error">{error}</p> : null}</div>
        </form>
      ) : null}
    </section>
  );
}
