import Link from "next/link";
import { LocalTime } from "@/components/local-time";
import { isUuid } from "@/lib/ticket-labels";
import type { z } from "zod";
import type { ZAuditEvent } from "@/server/audit/list-audit";
import { auditHref, type AuditFilters } from "./audit-filters";
import s from "./admin.module.css";

type AuditEvent = z.infer<typeof ZAuditEvent>;
type Props = { events: AuditEvent[]; filters: AuditFilters; names: Map<string, string>; filtered: boolean };

/** One page of audit events; actor, action and entity cells link to the log narrowed to them. */
export function AuditTable({ events, filters, names, filtered }: Props) {
  return (
    <div className={s.tableWrap}>
      <table className={`${s.table} ${s.stack}`} data-testid="audit-table">
        <caption className="visually-hidden">Audit events, newest first{filtered ? ", filtered" : ""}</caption>
        <thead>
          <tr>
            <th scope="col" className={s.num}>
              #
            </th>
            <th scope="col">When</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Entity</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <AuditRow key={e.seq} event={e} filters={filters} names={names} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function AuditRow({
  event: e,
  filters: f,
  names,
}: {
  event: AuditEvent;
  filters: AuditFilters;
  names: Map<string, string>;
}) {
  return (
    <tr>
      <td className={s.num}>
        <span className={s.cellLabel}>#</span>
        {e.seq}
      </td>
      <td className={s.nowrap}>
        <LocalTime iso={e.at} />
      </td>
      <td>
        <span className={s.cellLabel}>By:</span>
        {e.actorId ? (
          <Link href={auditHref({ ...f, actorId: e.actorId })}>{names.get(e.actorId) ?? "Someone"}</Link>
        ) : (
          <span className="muted">System</span>
        )}
      </td>
      <td>
        <Link className={s.mono} href={auditHref({ ...f, action: e.action })}>
          {e.action}
        </Link>
      </td>
      <td>
        <EntityCell event={e} filters={f} />
      </td>
      <td>
        {Object.keys(e.data).length ? (
          <details className={s.data}>
            <summary>
              Data<span className="visually-hidden"> of event {e.seq}</span>
            </summary>
            <pre>{JSON.stringify(e.data, null, 2)}</pre>
          </details>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
    </tr>
  );
}

function EntityCell({ event: e, filters: f }: { event: AuditEvent; filters: AuditFilters }) {
  return (
    <>
      <span className={s.cellLabel}>Entity:</span>
      {e.entityId ? (
        <Link className={s.mono} href={auditHref({ ...f, entityType: e.entityType, entityId: e.entityId })}>
          {e.entityType} {isUuid(e.entityId) ? `${e.entityId.slice(0, 8)}…` : e.entityId}
        </Link>
      ) : (
        <span className={s.mono}>{e.entityType}</span>
      )}
      {e.entityType === "ticket" && e.entityId ? (
        <>
          {" "}
          · <Link href={`/tickets/${e.entityId}`}>open ticket</Link>
        </>
      ) : null}
    </>
  );
}
