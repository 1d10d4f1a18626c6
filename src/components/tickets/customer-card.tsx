"use client";

import Link from "next/link";
import { useId, useRef, type FormEvent } from "react";
import type { components } from "@/lib/api-types";
import { statusLabel } from "@/lib/ticket-labels";
import { api } from "../api-client";
import { LocalTime } from "../local-time";
import { ActionFeedback, useApiAction } from "../use-api-action";
import c from "./context.module.css";

// The ticket page's "Customer" card for staff (issue 14 item 6, decision 051): the requester's
// organization (matched by email domain) and its notes, notes about the requester (add; delete
// your own, or any as an admin), and their other tickets.

export type CustomerContextData = components["schemas"]["CustomerContext"];
type Note = components["schemas"]["CustomerNote"];

export function CustomerCard({
  ticketId,
  context,
  selfId,
  admin,
  authorName,
}: {
  ticketId: string;
  context: CustomerContextData;
  selfId: string;
  admin: boolean;
  authorName: Record<string, string>;
}) {
  const id = useId().replace(/:/g, "");
  const form = useRef<HTMLFormElement>(null);
  const { run, busy, busyKey, status, failure } = useApiAction();
  const others = context.tickets.filter((t) => t.id !== ticketId).slice(0, 10);
  const customerId = context.customer.id;

  async function add(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const body = String(new FormData(e.currentTarget).get("body") ?? "").trim();
    const r = await run(
      () => api<Note>("POST", `/api/v1/customers/${customerId}/notes`, { body }),
      () => "Note added.",
      { key: "add" },
    );
    if (r.ok) form.current?.reset();
  }

  return (
    <section className="card side-card" aria-labelledby={`${id}-title`} data-testid="customer-card">
      <h2 id={`${id}-title`}>Customer</h2>
      <h3 className={c.subtitle}>Organization</h3>
      {context.organization ? (
        <div data-testid="customer-org">
          <p>{context.organization.name}</p>
          {context.organization.notes ? <p className={`${c.note} muted`}>{context.organization.notes}</p> : null}
        </div>
      ) : (
        <p className="muted" data-testid="customer-org">
          None
        </p>
      )}
      <h3 className={c.subtitle}>Other tickets</h3>
      {others.length ? (
        <ul className={c.list} data-testid="customer-tickets">
          {others.map((t) => (
            <li key={t.id}>
              <Link href={`/tickets/${t.id}`}>
                #{t.number} {t.subject}
              </Link>{" "}
              <span className="muted">({statusLabel(t.status)})</span>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted" data-testid="customer-tickets">
          None
        </p>
      )}
      <h3 className={c.subtitle}>Notes (staff only)</h3>
      {context.notes.length ? (
        <ul className={c.list} data-testid="customer-notes">
          {context.notes.map((n) => (
            <li key={n.id}>
              <p className={c.note}>{n.body}</p>
              <span className="muted">
                {n.authorId ? (authorName[n.authorId] ?? "a former user") : "System"}, <LocalTime iso={n.createdAt} />
              </span>{" "}
              {n.authorId === selfId || admin ? (
                <button
                  type="button"
                  className="button subtle small"
                  disabled={busyKey === n.id}
                  aria-label="Delete this note"
                  onClick={() =>
                    run(
                      () => api<void>("DELETE", `/api/v1/customers/${customerId}/notes/${n.id}`),
                      () => "Note deleted.",
                      { key: n.id },
                    )
                  }
                >
                  Delete
                </button>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted" data-testid="customer-notes">
          No notes yet.
        </p>
      )}
      <form ref={form} onSubmit={add} className={c.form}>
        <label htmlFor={`${id}-note`}>Add a note about {context.customer.name}</label>
        <textarea id={`${id}-note`} name="body" rows={2} maxLength={5000} required />
        <button type="submit" className="button small" disabled={busy && busyKey === "add"}>
          Add note
        </button>
      </form>
      <ActionFeedback status={status} failure={failure} statusTestId="customer-status" />
    </section>
  );
}
