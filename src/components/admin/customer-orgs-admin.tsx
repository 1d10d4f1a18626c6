"use client";

import { useId, useRef, useState, type FormEvent } from "react";
import type { components } from "@/lib/api-types";
import { api, type ApiFailure } from "../api-client";
import { ConfirmDialog } from "./confirm-dialog";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";
import { Field } from "../field";

// /admin/customers (issue 14 item 6, decision 051): customer organizations and their email
// domains. A customer whose address is at one of the domains belongs to the organization.

export type CustomerOrgRow = components["schemas"]["CustomerOrg"];

const issueFor = (e: ApiFailure | null, path: string) =>
  e?.issues.find((i) => i.path === path || i.path.startsWith(`${path}.`))?.message;
const domainsOf = (text: string) =>
  text
    .split(/[\s,]+/)
    .map((d) => d.trim())
    .filter(Boolean);

function OrgFields({ id, initial, failure }: { id: string; initial?: CustomerOrgRow; failure: ApiFailure | null }) {
  const nameErr = issueFor(failure, "name");
  const domErr = issueFor(failure, "domains");
  return (
    <div className={s.formGrid}>
      <Field id={`${id}-name`} label="Name" error={nameErr}>
        {(aria) => <input {...aria} name="name" defaultValue={initial?.name ?? ""} required maxLength={200} />}
      </Field>
      <Field id={`${id}-domains`} label="Email domains (comma-separated)" error={domErr}>
        {(aria) => (
          <input {...aria} name="domains" defaultValue={initial?.domains.join(", ") ?? ""} placeholder="example.com" />
        )}
      </Field>
      <Field id={`${id}-notes`} label="Notes (staff only)">
        {(aria) => <textarea {...aria} name="notes" defaultValue={initial?.notes ?? ""} rows={2} maxLength={5000} />}
      </Field>
    </div>
  );
}

const bodyOf = (form: HTMLFormElement) => {
  const f = new FormData(form);
  return {
    name: String(f.get("name") ?? "").trim(),
    domains: domainsOf(String(f.get("domains") ?? "")),
    notes: String(f.get("notes") ?? ""),
  };
};

export function NewCustomerOrgForm() {
  const id = useId().replace(/:/g, "");
  const ref = useRef<HTMLFormElement>(null);
  const { run, busy, status, failure } = useApiAction();
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const r = await run(
      () => api<CustomerOrgRow>("POST", "/api/v1/customer-orgs", bodyOf(e.currentTarget)),
      (o) => `${o.name} created.`,
    );
    if (r.ok) ref.current?.reset();
  }
  return (
    <form ref={ref} onSubmit={submit} noValidate data-testid="new-customer-org">
      <OrgFields id={id} failure={failure} />
      <p>
        <button type="submit" className="button primary" disabled={busy}>
          Create organization
        </button>
      </p>
      <ActionFeedback status={status} failure={failure} statusTestId="customer-org-status" />
    </form>
  );
}

export function CustomerOrgRows({ orgs }: { orgs: CustomerOrgRow[] }) {
  const id = useId().replace(/:/g, "");
  const { run, busy, busyKey, status, failure } = useApiAction();
  const [editing, setEditing] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<CustomerOrgRow | null>(null);
  async function save(e: FormEvent<HTMLFormElement>, o: CustomerOrgRow) {
    e.preventDefault();
    const r = await run(
      () => api<CustomerOrgRow>("PATCH", `/api/v1/customer-orgs/${o.id}`, bodyOf(e.currentTarget)),
      (x) => `${x.name} saved.`,
      { key: o.id },
    );
    if (r.ok) setEditing(null);
  }
  if (!orgs.length) return <p className="muted">No customer organizations yet.</p>;
  return (
    <>
      <table className={s.table} data-testid="customer-orgs">
        <caption className="visually-hidden">Customer organizations</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Domains</th>
            <th scope="col" className="num">
              Customers
            </th>
            <th scope="col">Notes</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {orgs.map((o) => (
            <tr key={o.id}>
              {editing === o.id ? (
                <td colSpan={5}>
                  <form onSubmit={(e) => void save(e, o)} noValidate aria-label={`Edit ${o.name}`}>
                    <OrgFields id={`${id}-${o.id}`} initial={o} failure={failure} />
                    <div className={s.rowActions}>
                      <button type="submit" className="button primary" disabled={busy && busyKey === o.id}>
                        Save
                      </button>
                      <button type="button" className="button" onClick={() => setEditing(null)}>
                        Cancel
                      </button>
                    </div>
                  </form>
                </td>
              ) : (
                <>
                  <td>{o.name}</td>
                  <td>{o.domains.join(", ") || <span className="muted">none</span>}</td>
                  <td className="num">{o.members}</td>
                  <td>{o.notes}</td>
                  <td>
                    <div className={s.rowActions}>
                      <button
                        type="button"
                        className="button"
                        onClick={() => setEditing(o.id)}
                        aria-label={`Edit ${o.name}`}
                      >
                        Edit
                      </button>
                      <button
                        type="button"
                        className="button"
                        onClick={() => setDeleting(o)}
                        aria-label={`Delete ${o.name}`}
                      >
                        Delete
                      </button>
                    </div>
                  </td>
                </>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      {deleting ? (
        <ConfirmDialog
          open
          title={`Delete ${deleting.name}?`}
          confirmLabel="Delete"
          danger
          busy={busy}
          onConfirm={() =>
            void run(
              () => api<void>("DELETE", `/api/v1/customer-orgs/${deleting.id}`),
              () => `${deleting.name} deleted.`,
            ).then(() => setDeleting(null))
          }
          onCancel={() => setDeleting(null)}
        >
          <p>Its customers stay; they no longer belong to an organization.</p>
        </ConfirmDialog>
      ) : null}
      <ActionFeedback status={status} failure={failure} />
    </>
  );
}
