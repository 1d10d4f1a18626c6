import Link from "next/link";
import type { z } from "zod";
import type { WorkspaceData } from "@/server/pages/workspace-data";
import { VIEW_COUNT_CAP } from "@/server/tickets/view-counts";

// What the list page says about its list: why it is not shown, how much of it is shown, or that it is empty.

const FIELD_NAMES: Record<string, string> = {
  q: "Search",
  status: "Status",
  priority: "Priority",
  tag: "Tag",
  group: "Group",
  sort: "Sort",
  cursor: "Page link",
};

/** The issues of a query GET /tickets' schema (ZListTickets) refused. */
type Issues = z.core.$ZodIssue[];

/**
 * Why the list is not shown, first reason first: the API's admission refused (429 rate_limited,
 * 503 feature_disabled, nothing was read), the URL does not parse, or the list refused it (a
 * staff-only filter).
 */
export function listProblems(issues: Issues | null, data: WorkspaceData): string[] {
  const r = data.refused;
  if (r?.code === "feature_disabled")
    return ["Search is switched off for your organization right now. Clear the search to see the list."];
  if (r) {
    const wait = r.retryAfterSec
      ? ` Try again in ${r.retryAfterSec} second${r.retryAfterSec === 1 ? "" : "s"}.`
      : " Try again in a minute.";
    return [`Too many requests or searches in a short time.${wait}`];
  }
  if (issues) return issues.map((i) => `${FIELD_NAMES[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`);
  return data.error ? [`This page link is no longer valid (${data.error}).`] : [];
}

export function ListProblems({ problems, viewKey, title }: { problems: string[]; viewKey: string; title: string }) {
  return (
    <div className="error" role="alert" data-testid="list-problem">
      <p>The list could not be shown:</p>
      <ul>
        {problems.map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      <p>
        <Link href={`/?view=${viewKey}`}>Show the first page of {title}</Link>
      </p>
    </div>
  );
}

/** "Showing 25 of 33", "8 more of 33" on later pages, "25+ matching" when searched or filtered. */
export function listSummary(shown: number, more: boolean, total: number, filtered: boolean, paged: boolean): string {
  if (filtered) return `${shown}${more ? "+" : ""} matching ${shown === 1 && !more ? "ticket" : "tickets"}`;
  const of = total > VIEW_COUNT_CAP ? `more than ${VIEW_COUNT_CAP.toLocaleString("en-US")}` : String(total);
  if (paged) return `${shown} more of ${of}`;
  return shown === total ? `${total} ${total === 1 ? "ticket" : "tickets"}` : `Showing ${shown} of ${of}`;
}

function emptyText(staff: boolean, filtered: boolean, viewKey: string, paged: boolean): string {
  if (paged) return "No more tickets.";
  if (filtered) return "No tickets match your search and filters.";
  if (!staff) return viewKey === "open" ? "You have no open requests." : "You have no solved requests yet.";
  if (viewKey === "mine") return "Nothing assigned to you is open. Pick one up from Unassigned.";
  if (viewKey === "breaching") return "No SLA is about to be breached.";
  return "No tickets in this view.";
}

export function EmptyList(props: { staff: boolean; filtered: boolean; viewKey: string; paged: boolean }) {
  return (
    <div className="empty card">
      <p>{emptyText(props.staff, props.filtered, props.viewKey, props.paged)}</p>
      {!props.staff && !props.filtered ? (
        <Link href="/tickets/new" className="button primary">
          New request
        </Link>
      ) : null}
    </div>
  );
}
