import Link from "next/link";
import { isStaffView, type AnyTicketView } from "@/server/tickets/schemas";
import type { UserSummary } from "@/server/users/lookup-users";
import { mostUrgentMetric } from "@/lib/sla-display";
import { priorityLabel, relativeTime, shortDate, statusLabel } from "@/lib/ticket-labels";
import { SlaBadge } from "../sla-badge";

type Props = {
  tickets: AnyTicketView[];
  mode: "staff" | "customer";
  caption: string;
  serverNow: number;
  /** Staff: names of requesters and assignees by id. */
  people?: Map<string, UserSummary>;
  selfId: string;
  warningMinutes?: number;
};

export function StatusChip({ status }: { status: string }) {
  return <span className={`chip status-${status}`}>{statusLabel(status)}</span>;
}

export function PriorityChip({ priority }: { priority: string }) {
  return <span className={`chip priority-${priority}`}>{priorityLabel(priority)}</span>;
}

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t} className="tag">
          {t}
        </li>
      ))}
    </ul>
  );
}

/**
 * The ticket list: a real table on wide screens, stacked cards on a phone. The subject is the
 * row's link and covers the whole row, so a click anywhere or Enter on the focused row opens it.
 */
export function TicketTable({ tickets, mode, caption, serverNow, people, selfId, warningMinutes }: Props) {
  const staff = mode === "staff";
  const who = (id: string | null) => {
    if (!id) return null;
    if (id === selfId) return "You";
    return people?.get(id)?.name ?? "Unknown user";
  };
  return (
    <table role="table" className={`ticket-table ${mode}`} data-testid="ticket-list">
      <caption className="visually-hidden">{caption}</caption>
      <thead role="rowgroup">
        <tr role="row">
          <th role="columnheader" scope="col" className="col-number">#</th>
          <th role="columnheader" scope="col" className="col-subject">Subject</th>
          {staff ? <th role="columnheader" scope="col" className="col-requester">Requester</th> : null}
          {staff ? <th role="columnheader" scope="col" className="col-assignee">Assignee</th> : null}
          <th role="columnheader" scope="col" className="col-status">Status</th>
          {staff ? <th role="columnheader" scope="col" className="col-priority">Priority</th> : null}
          <th role="columnheader" scope="col" className="col-updated">Updated</th>
          {staff ? <th role="columnheader" scope="col" className="col-sla">SLA</th> : null}
        </tr>
      </thead>
      <tbody role="rowgroup">
        {tickets.map((t) => {
          // The staff view carries priority, tags and assignee; a customer's list never does.
          const full = staff && isStaffView(t) ? t : null;
          const urgent = full ? mostUrgentMetric(full.sla) : null;
          const stopped = t.status === "solved" || t.status === "closed";
          return (
            <tr role="row" key={t.id} className="ticket-row" data-testid="ticket-row" data-ticket-number={t.number}>
              <td role="cell" className="col-number">#{t.number}</td>
              <td role="cell" className="col-subject">
                <Link href={`/tickets/${t.id}`} className="row-link" data-row-link="">
                  {t.subject}
                </Link>
                {full ? <Tags tags={full.tags} /> : null}
              </td>
              {staff ? (
                <td role="cell" className="col-requester">
                  <span className="cell-label">Requester</span>
                  {who(t.requesterId)}
                </td>
              ) : null}
              {staff ? (
                <td role="cell" className="col-assignee">
                  <span className="cell-label">Assignee</span>
                  {who(full?.assigneeId ?? null) ?? <span className="muted">Unassigned</span>}
                </td>
              ) : null}
              <td role="cell" className="col-status">
                <StatusChip status={t.status} />
              </td>
              {staff ? (
                <td role="cell" className="col-priority">
                  {full ? <PriorityChip priority={full.priority} /> : null}
                </td>
              ) : null}
              <td role="cell" className="col-updated">
                <time dateTime={t.updatedAt} title={shortDate(t.updatedAt)}>
                  <span className="cell-label">Updated </span>
                  {relativeTime(t.updatedAt, serverNow)}
                </time>
              </td>
              {staff ? (
                <td role="cell" className="col-sla">
                  {urgent && !stopped ? (
                    <SlaBadge metricKey={urgent.key} metric={urgent.metric} serverNow={serverNow} warningMinutes={warningMinutes} compact />
                  ) : (
                    <span className="muted sla-none">{stopped ? "Done" : "—"}</span>
                  )}
                </td>
              ) : null}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
