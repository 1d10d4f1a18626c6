"use client";

import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useRef, useState, type FormEvent } from "react";
import type { components } from "@/lib/api-types";
import { statusLabel } from "@/lib/ticket-labels";
import { api } from "../api-client";
import { ConfirmDialog } from "../admin/confirm-dialog";
import { ActionFeedback, useApiAction } from "../use-api-action";
import c from "./context.module.css";

// The ticket page's "Related tickets" card for staff (issue 14 item 4, decision 051): the ticket
// this one was merged into, the tickets merged into it, linked tickets (both directions) with
// unlink, a form to link another ticket by number, and merging this ticket into another one after
// a confirmation that says what will happen.

export type TicketLinksData = components["schemas"]["TicketLinks"];
type MergeResult = components["schemas"]["MergeResult"];
type TicketLink = components["schemas"]["TicketLink"];

function Ref({ t }: { t: { id: string; number: number; subject: string; status: string } }) {
  return (
    <>
      <Link href={`/tickets/${t.id}`}>
        #{t.number} {t.subject}
      </Link>{" "}
      <span className="muted">({statusLabel(t.status)})</span>
    </>
  );
}

export function TicketRelations({
  ticketId,
  number,
  closed,
  links,
}: {
  ticketId: string;
  number: number;
  closed: boolean;
  links: TicketLinksData;
}) {
  const id = useId().replace(/:/g, "");
  const router = useRouter();
  const linkForm = useRef<HTMLFormElement>(null);
  const { run, busy, busyKey, status, failure } = useApiAction();
  const [asking, setAsking] = useState<{ number: number; notify: boolean } | null>(null);
  const [mergeError, setMergeError] = useState<string | null>(null);

  async function addLink(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const n = Number(new FormData(e.currentTarget).get("number"));
    const r = await run(
      () => api<TicketLink>("POST", `/api/v1/tickets/${ticketId}/links`, { number: n }),
      (l) => `Linked to #${l.number}.`,
      { key: "link" },
    );
    if (r.ok) linkForm.current?.reset();
  }

  function askMerge(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    const n = Number(form.get("target"));
    if (!Number.isInteger(n) || n < 1) {
      setMergeError("Enter the number of the ticket to merge into.");
      return;
    }
    if (n === number) {
      setMergeError("A ticket cannot be merged into itself.");
      return;
    }
    setMergeError(null);
    setAsking({ number: n, notify: form.get("notify") === "on" });
  }

  async function confirmMerge() {
    if (!asking) return;
    const r = await run(
      () =>
        api<MergeResult>("POST", `/api/v1/tickets/${ticketId}/merge`, {
          number: asking.number,
          notifyRequesters: asking.notify,
        }),
      (m) => `Merged into #${m.mergedIntoNumber}: ${m.moved.comments} comments and ${m.moved.attachments} files moved.`,
      { key: "merge" },
    );
    setAsking(null);
    if (r.ok) router.push(`/tickets/${r.data.mergedIntoId}`);
  }

  return (
    <section className="card side-card" aria-labelledby={`${id}-title`} data-testid="ticket-relations">
      <h2 id={`${id}-title`}>Related tickets</h2>
      {links.mergedInto ? (
        <p className="notice" data-testid="merged-into">
          Merged into <Ref t={links.mergedInto} />
        </p>
      ) : null}
      {links.mergedFrom.length ? (
        <>
          <h3 className={c.subtitle}>Merged into this ticket</h3>
          <ul className={c.list} data-testid="merged-from">
            {links.mergedFrom.map((t) => (
              <li key={t.id}>
                <Ref t={t} />
              </li>
            ))}
          </ul>
        </>
      ) : null}
      <h3 className={c.subtitle}>Linked</h3>
      {links.data.length ? (
        <ul className={c.list} data-testid="linked-tickets">
          {links.data.map((t) => (
            <li key={t.id}>
              <Ref t={t} />{" "}
              <button
                type="button"
                className="button subtle small"
                disabled={busyKey === t.id}
                aria-label={`Unlink #${t.number}`}
                onClick={() =>
                  run(
                    () => api<void>("DELETE", `/api/v1/tickets/${ticketId}/links/${t.id}`),
                    () => `Unlinked #${t.number}.`,
                    { key: t.id },
                  )
                }
              >
                Unlink
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted" data-testid="linked-tickets">
          None
        </p>
      )}
      <form ref={linkForm} onSubmit={addLink} className={c.form}>
        <label htmlFor={`${id}-link`}>Link ticket number</label>
        <input id={`${id}-link`} name="number" type="number" min={1} step={1} inputMode="numeric" required />
        <button type="submit" className="button small" disabled={busy && busyKey === "link"}>
          Link
        </button>
      </form>
      {!closed ? (
        <form onSubmit={askMerge} className={c.form} data-testid="merge-form" noValidate>
          <label htmlFor={`${id}-merge`}>Merge this ticket into number</label>
          <input
            id={`${id}-merge`}
            name="target"
            type="number"
            min={1}
            step={1}
            inputMode="numeric"
            required
            aria-invalid={mergeError ? true : undefined}
            aria-describedby={mergeError ? `${id}-merge-err` : undefined}
          />
          <label className={c.check}>
            <input type="checkbox" name="notify" /> Tell both requesters by email
          </label>
          <button type="submit" className="button small">
            Merge…
          </button>
          {mergeError ? (
            <p id={`${id}-merge-err`} className="field-error">
              {mergeError}
            </p>
          ) : null}
        </form>
      ) : null}
      {asking ? (
        <ConfirmDialog
          open
          title={`Merge #${number} into #${asking.number}?`}
          confirmLabel="Merge"
          danger
          busy={busy}
          onConfirm={() => void confirmMerge()}
          onCancel={() => setAsking(null)}
        >
          <p>
            Every comment, file and CC of #{number} moves to #{asking.number}, and #{number} is closed for good,
            pointing there.
            {asking.notify ? " Both requesters are told by email." : " The requesters are not emailed."} This cannot be
            undone.
          </p>
        </ConfirmDialog>
      ) : null}
      <ActionFeedback status={status} failure={failure} statusTestId="relations-status" />
    </section>
  );
}
