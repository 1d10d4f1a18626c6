import Link from "next/link";
import { isStaffView, type AnyTicketView } from "@/server/tickets/schemas";
import type { UserSummary } from "@/server/users/lookup-users";
import { mostUrgentMetric } from "@/lib/sla-display";
import { priorityLabel, relativeTime, shortDate, statusLabel } from "@/lib/ticket-labels";
import { SlaBadge } from "../sla-badge";
import { PageCheckbox, RowCheckbox } from "./bulk-actions";

type Props = {
  tickets: AnyTicketView[];
  mode: "staff" | "customer";
  caption: string;
  serverNow: number;
  /** Staff: names of requesters and assignees by id. */
  people?: Map<string, UserSummary>;
  selfId: string;
  warningMinutes?: number;
  /**
   * Staff: the view's columns (views/schemas.ts; number, subject with its tags, and the SLA always show). Absent:
   * the default set. cf.<key> shows a custom field, labelled from `fieldLabels`.
   */
  columns?: readonly string[];
  fieldLabels?: Record<string, string>;
  /** Staff: group names by id, for the group column. */
  groupNames?: Map<string, string>;
  /** Staff: a checkbox per row for bulk changes (inside BulkSelection). */
  selectable?: boolean;
};

const DEFAULT_STAFF_COLUMNS = ["requester", "assignee", "status", "priority", "updatedAt"];
/** The order columns show in, whatever order a view lists them. */
const COLUMN_ORDER = ["requester", "assignee", "group", "status", "priority", "createdAt", "updatedAt", "resolveDue"];
const COLUMN_HEADS: Record<string, string> = {
  requester: "Requester",
  assignee: "Assignee",
  group: "Group",
  status: "Status",
  priority: "Priority",
  createdAt: "Created",
  updatedAt: "Updated",
  resolveDue: "Due",
};

function customValue(v: unknown): string {
  if (v === null || v === undefined || v === "") return "";
  if (Array.isArray(v)) return v.join(", ");
  if (typeof v === "boolean") return v ? "Yes" : "No";
  return String(v);
}

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
export function TicketTable({
  tickets,
  mode,
  caption,
  serverNow,
  people,
  selfId,
  warningMinutes,
  columns,
  fieldLabels,
  groupNames,
  selectable,
}: Props) {
  const staff = mode === "staff";
  const who = (id: string | null) => {
    if (!id) return null;
    if (id === selfId) return "You";
    return people?.get(id)?.name ?? "Unknown user";
  };
  // Customers always see status and updated; staff see the view's columns.
  const wanted = staff ? (columns ?? DEFAULT_STAFF_COLUMNS) : ["status", "updatedAt"];
  const shown = COLUMN_ORDER.filter((c) => wanted.includes(c));
  const custom = staff ? wanted.filter((c) => c.startsWith("cf.")) : [];
  return (
    <table role="table" className={`ticket-table ${mode}${selectable ? " selectable" : ""}`} data-testid="ticket-list">
      <caption className="visually-hidden">{caption}</caption>
      <thead role="rowgroup">
        <tr role="row">
          {selectable ? (
            <th role="columnheader" scope="col" className="col-select">
              <span className="visually-hidden">Select</span>
              <PageCheckbox />
            </th>
          ) : null}
          <th role="columnheader" scope="col" className="col-number">
            #
          </th>
          <th role="columnheader" scope="col" className="col-subject">
            Subject
          </th>
          {shown.map((c) => (
            <th key={c} role="columnheader" scope="col" className={`col-${c === "updatedAt" ? "updated" : c}`}>
              {COLUMN_HEADS[c]}
            </th>
          ))}
          {custom.map((c) => (
            <th key={c} role="columnheader" scope="col" className="col-custom">
              {fieldLabels?.[c.slice(3)] ?? c.slice(3)}
            </th>
          ))}
          {staff ? (
            <th role="columnheader" scope="col" className="col-sla">
              SLA
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody role="rowgroup">
        {tickets.map((t) => {
          // The staff view carries priority, tags and assignee; a customer's list never does.
          const full = staff && isStaffView(t) ? t : null;
          const urgent = full ? mostUrgentMetric(full.sla) : null;
          const stopped = t.status === "solved" || t.status === "closed";
          const cell = (c: string) => {
            switch (c) {
              case "requester":
                return (
                  <>
                    <span className="cell-label">Requester</span>
                    {who(t.requesterId)}
                  </>
                );
              case "assignee":
                return (
                  <>
                    <span className="cell-label">Assignee</span>
                    {who(full?.assigneeId ?? null) ?? <span className="muted">Unassigned</span>}
                  </>
                );
              case "group":
                return (
                  <>
                    <span className="cell-label">Group</span>
                    {full?.groupId ? (
                      (groupNames?.get(full.groupId) ?? "Unknown group")
                    ) : (
                      <span className="muted">None</span>
                    )}
                  </>
                );
              case "status":
                return <StatusChip status={t.status} />;
              case "priority":
                return full ? <PriorityChip priority={full.priority} /> : null;
              case "createdAt":
                return (
                  <time dateTime={t.createdAt} title={shortDate(t.createdAt)}>
                    <span className="cell-label">Created </span>
                    {relativeTime(t.createdAt, serverNow)}
                  </time>
                );
              case "updatedAt":
                return (
                  <time dateTime={t.updatedAt} title={shortDate(t.updatedAt)}>
                    <span className="cell-label">Updated </span>
                    {relativeTime(t.updatedAt, serverNow)}
                  </time>
                );
              case "resolveDue":
                return full?.resolveDue ? (
                  <time dateTime={full.resolveDue} title={shortDate(full.resolveDue)}>
                    <span className="cell-label">Due </span>
                    {shortDate(full.resolveDue)}
                  </time>
                ) : (
                  <span className="muted">—</span>
                );
            }
            return null;
          };
          return (
            <tr role="row" key={t.id} className="ticket-row" data-testid="ticket-row" data-ticket-number={t.number}>
              {selectable ? (
                <td role="cell" className="col-select">
                  <RowCheckbox id={t.id} number={t.number} subject={t.subject} />
                </td>
              ) : null}
              <td role="cell" className="col-number">
                #{t.number}
              </td>
              <td role="cell" className="col-subject">
                <Link href={`/tickets/${t.id}`} className="row-link" data-row-link="">
                  {t.subject}
                </Link>
                {full ? <Tags tags={full.tags} /> : null}
              </td>
              {shown.map((c) => (
                <td key={c} role="cell" className={`col-${c === "updatedAt" ? "updated" : c}`}>
                  {cell(c)}
                </td>
              ))}
              {custom.map((c) => (
                <td key={c} role="cell" className="col-custom">
                  <span className="cell-label">{fieldLabels?.[c.slice(3)] ?? c.slice(3)}</span>
                  {customValue(t.customFields[c.slice(3)])}
                </td>
              ))}
              {staff ? (
                <td role="cell" className="col-sla">
                  {urgent && !stopped ? (
                    <SlaBadge
                      metricKey={urgent.key}
                      metric={urgent.metric}
                      serverNow={serverNow}
                      warningMinutes={warningMinutes}
                      compact
                    />
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
