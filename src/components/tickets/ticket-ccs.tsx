"use client";

import { useId, useRef, type FormEvent } from "react";
import { api } from "../api-client";
import { ActionFeedback, useApiAction } from "../use-api-action";
import { BouncingMark } from "./bouncing-mark";

// The ticket page's CC list for staff (issue 12 item 8): who else receives public replies, with
// add and remove through /api/v1/tickets/{id}/ccs. Customers never see this list.

export type CcData = { email: string; bouncing: string | null };

export function TicketCcs({ ticketId, ccs }: { ticketId: string; ccs: CcData[] }) {
  const id = useId();
  const formRef = useRef<HTMLFormElement>(null);
  const { run, busy, busyKey, status, failure } = useApiAction();

  async function add(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const email = String(new FormData(e.currentTarget).get("email") ?? "").trim();
    const r = await run(
      () => api<{ email: string }>("POST", `/api/v1/tickets/${ticketId}/ccs`, { email }),
      (c) => `${c.email} copied on this ticket.`,
      { key: "add" },
    );
    if (r.ok) formRef.current?.reset();
    else formRef.current?.querySelector<HTMLInputElement>('[name="email"]')?.focus();
  }

  const err = failure?.issues.find((i) => i.path === "email")?.message;
  return (
    <>
      {/* The list alone carries the test id: "No one" is its whole text when nobody is copied. */}
      <div data-testid="ticket-ccs">
        {ccs.length ? (
          <ul className="cc-list">
            {ccs.map((c) => (
              <li key={c.email}>
                {c.email}
                {c.bouncing ? (
                  <>
                    {" "}
                    <BouncingMark reason={c.bouncing} />
                  </>
                ) : null}{" "}
                <button
                  type="button"
                  className="button subtle small"
                  disabled={busyKey === c.email}
                  aria-label={`Remove CC ${c.email}`}
                  onClick={() =>
                    run(
                      () => api<void>("DELETE", `/api/v1/tickets/${ticketId}/ccs/${encodeURIComponent(c.email)}`),
                      () => `${c.email} is no longer copied.`,
                      { key: c.email },
                    )
                  }
                >
                  Remove
                </button>
              </li>
            ))}
          </ul>
        ) : (
          <span className="muted">No one</span>
        )}
      </div>
      <form ref={formRef} onSubmit={add} noValidate className="cc-add">
        <label htmlFor={`${id}-cc`} className="visually-hidden">
          Add a CC by email address
        </label>
        <input
          id={`${id}-cc`}
          name="email"
          type="email"
          placeholder="name@example.com"
          autoComplete="off"
          spellCheck={false}
          required
          aria-invalid={err ? true : undefined}
          aria-describedby={err ? `${id}-cc-err` : undefined}
        />
        <button type="submit" className="button small" disabled={busy && busyKey === "add"}>
          Add CC
        </button>
        {err ? (
          <p id={`${id}-cc-err`} className="field-error">
            Address {err}.
          </p>
        ) : null}
      </form>
      <ActionFeedback status={status} failure={failure} statusTestId="cc-status" />
    </>
  );
}
