"use client";

import { useState } from "react";
import type { components } from "@/lib/api-types";
import { api } from "../api-client";
import { LocalTime } from "../local-time";
import { ActionFeedback, useApiAction } from "../use-api-action";
import s from "./admin.module.css";
import { ConfirmDialog } from "./confirm-dialog";

/** A dead letter as the dead-letter list answers it (the generated contract types, not a hand copy). */
export type DeadLetterData = components["schemas"]["DeadLetter"];

const QUEUE_TEXT: Record<DeadLetterData["queue"], string> = {
  email: "Email notification",
  webhook: "Webhook delivery",
  "email-inbound": "Incoming email",
  "email-reply": "Reply email to a customer",
  "email-customer": "Acknowledgement or solve email",
  import: "Import (a slice of an uploaded export)",
};

/**
 * The org's dead letters: each failed every retry and waits here until someone replays it (sent
 * once more, nothing already delivered is sent twice) or drops it.
 */
export function DeadLetterTable({ rows, now }: { rows: DeadLetterData[]; now: number }) {
  const [dropping, setDropping] = useState<DeadLetterData | null>(null);
  const { run, busy, busyKey, status, failure } = useApiAction();

  async function act(row: DeadLetterData, kind: "replay" | "drop") {
    await run(
      () =>
        kind === "replay"
          ? api("POST", `/api/v1/jobs/dead/${row.id}/replay`)
          : api("DELETE", `/api/v1/jobs/dead/${row.id}`),
      () =>
        kind === "replay"
          ? `${QUEUE_TEXT[row.queue]} sent again; it is retried as usual if it fails.`
          : `${QUEUE_TEXT[row.queue]} dropped.`,
      { key: row.id, refreshOnFailure: true },
    );
    setDropping(null);
  }

  return (
    <>
      <ActionFeedback status={status} failure={failure} />
      {rows.length === 0 ? (
        <p className="muted" data-testid="no-dead-letters">
          Nothing failed for good. Deliveries that fail every retry appear here.
        </p>
      ) : (
        <div className={s.tableWrap}>
          <table className={`${s.table} ${s.stack}`} data-testid="dead-letters">
            <caption className="visually-hidden">Failed deliveries, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Kind</th>
                <th scope="col">Last error</th>
                <th scope="col">Failed</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((r) => (
                <tr key={r.id} data-testid="dead-letter">
                  <td>
                    <span className={`${s.badge} ${s.badgeDanger}`}>{QUEUE_TEXT[r.queue]}</span>
                  </td>
                  <td>{r.error ? <span className={s.mono}>{r.error}</span> : <span className="muted">—</span>}</td>
                  <td className={s.nowrap}>
                    <LocalTime iso={r.createdAt} relativeTo={now} />
                  </td>
                  <td>
                    <div className={s.rowActions}>
                      <button
                        type="button"
                        className="button primary"
                        disabled={busy}
                        aria-busy={busyKey === r.id}
                        onClick={() => void act(r, "replay")}
                      >
                        Replay
                      </button>
                      <button
                        type="button"
                        className={`button subtle ${s.dangerOutline}`}
                        disabled={busy}
                        onClick={() => setDropping(r)}
                      >
                        Drop
                      </button>
                      {r.queue === "email-inbound" && r.inboundId ? (
                        <a
                          className="button subtle"
                          href={`/api/v1/email/inbound/${r.inboundId}/raw`}
                          download
                          data-testid="dead-letter-eml"
                        >
                          Download .eml
                        </a>
                      ) : null}
                    </div>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {dropping ? (
        <ConfirmDialog
          open
          title="Drop this failed delivery?"
          confirmLabel="Drop"
          danger
          busy={busy}
          onConfirm={() => void act(dropping, "drop")}
          onCancel={() => setDropping(null)}
        >
          <p>It is never sent. The audit log records who dropped it.</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
