import { LocalTime } from "../local-time";
import s from "./admin.module.css";

// Held and failed inbound mail on /admin/jobs (decision 040): what GET /api/v1/email/inbound lists.

export type WaitingInboundData = {
  id: string;
  status: "held" | "failed";
  source: string;
  from: string | null;
  subject: string | null;
  receivedAt: string;
  releaseAt: string | null;
  reason: string | null;
  error: string | null;
  sizeBytes: number;
};

export function WaitingInboundTable({ rows, now }: { rows: WaitingInboundData[]; now: number }) {
  if (rows.length === 0) {
    return (
      <p className="muted" data-testid="no-waiting-inbound">
        No incoming email is held or failed.
      </p>
    );
  }
  return (
    <div className={s.tableWrap}>
      <table className={`${s.table} ${s.stack}`} data-testid="waiting-inbound">
        <caption className="visually-hidden">Held and failed incoming email, newest first</caption>
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Sender</th>
            <th scope="col">Subject</th>
            <th scope="col">Received</th>
            <th scope="col">Applied after</th>
            <th scope="col">Original</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.id} data-testid="waiting-inbound-row">
              <td>
                <span
                  className={`${s.badge} ${r.status === "failed" ? s.badgeDanger : s.badgeWarn}`}
                  title={r.status === "failed" ? (r.error ?? undefined) : (r.reason ?? undefined)}
                >
                  {r.status === "held" ? "Held (sender cap)" : "Failed"}
                </span>
              </td>
              <td className={s.mono}>{r.from ?? "—"}</td>
              <td>{r.subject ?? <span className="muted">(no subject)</span>}</td>
              <td className={s.nowrap}>
                <LocalTime iso={r.receivedAt} relativeTo={now} />
              </td>
              <td className={s.nowrap}>
                {r.releaseAt ? (
                  <LocalTime iso={r.releaseAt} relativeTo={now} />
                ) : (
                  <span className="muted">{r.status === "failed" ? "after a replay" : "—"}</span>
                )}
              </td>
              <td>
                <a href={`/api/v1/email/inbound/${r.id}/raw`} download data-testid="waiting-inbound-eml">
                  Download .eml
                  <span className="visually-hidden"> of the message from {r.from ?? "an unknown sender"}</span>
                </a>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
