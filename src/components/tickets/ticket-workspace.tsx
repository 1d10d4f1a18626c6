import Form from "next/form";
import Link from "next/link";
import { cookies, headers } from "next/headers";
import type { PageUser } from "@/server/auth/page-session";
import { isStaff } from "@/server/authz/permissions";
import { ZListTickets } from "@/server/tickets/schemas";
import { CUSTOMER_VIEWS, STAFF_VIEWS, VIEW_COUNT_CAP, formatViewCount } from "@/server/tickets/view-counts";
import { loadWorkspace, type WorkspaceData } from "@/server/pages/workspace-data";
import { isFiltered, listHref, readListState, type ListState, type SearchParams } from "@/lib/list-params";
import { PRIORITY_KEYS, PRIORITY_LABELS, STATUS_KEYS, STATUS_LABELS } from "@/lib/ticket-labels";
import { ListKeys } from "./list-keys";
import { TicketTable } from "./ticket-table";
import { EnumOptions } from "@/components/enum-options";
import { LiveList } from "@/components/live/live-list";
import { WorkspaceTabs } from "@/components/workspace/workspace-tabs";
import { DENSITY_COOKIE, DensityToggle, FiltersToggle } from "@/components/workspace/list-controls";

type View = (typeof STAFF_VIEWS)[number];

const PAGE_SIZE = "25";
const SEARCH_ID = "ticket-search";

const SORTS = [
  { value: "-updatedAt", label: "Updated" },
  { value: "updatedAt", label: "Oldest update" },
  { value: "-createdAt", label: "Newest" },
  { value: "createdAt", label: "Oldest" },
  { value: "resolveDue", label: "Due soonest" },
  { value: "-priority", label: "Priority" },
];

/** Views that read best in another order than "recently updated". */
const VIEW_SORT: Record<string, string> = { breaching: "resolveDue" };

/** The API's query string for a view plus what the user narrowed; the user's status replaces the view's. */
function rawQuery(view: View, s: ListState): Record<string, string> {
  const f = view.filters;
  const raw: Record<string, string> = { limit: PAGE_SIZE };
  if (f.status) raw.status = f.status.join(",");
  if (f.priority) raw.priority = f.priority.join(",");
  if (f.assigneeId) raw.assigneeId = f.assigneeId;
  if (f.requesterId) raw.requesterId = f.requesterId;
  if (f.tag) raw.tag = f.tag;
  if (f.q) raw.q = f.q;
  if (f.sla) raw.sla = f.sla;
  if (s.status) raw.status = s.status;
  if (s.priority) raw.priority = s.priority;
  if (s.tag) raw.tag = s.tag;
  if (s.q) raw.q = s.q;
  raw.sort = s.sort || VIEW_SORT[view.key] || "-updatedAt";
  if (s.cursor) raw.cursor = s.cursor;
  return raw;
}

const FIELD_NAMES: Record<string, string> = { q: "Search", status: "Status", priority: "Priority", tag: "Tag", sort: "Sort", cursor: "Page link" };

/**
 * "/" for everyone: the agent workspace (views with counts, search, filters, the list) for staff,
 * "My requests" for customers. Everything is in the URL, so views and pages can be bookmarked and
 * shared. Data comes only from the domain functions the API uses (same visibility rules).
 */
export async function TicketWorkspace({ user, searchParams }: { user: PageUser; searchParams: SearchParams }) {
  const staff = isStaff(user);
  const views = staff ? STAFF_VIEWS : CUSTOMER_VIEWS;
  const state = readListState(searchParams, views, staff ? "mine" : "open");
  const view = views.find((v) => v.key === state.view)!;
  const parsed = ZListTickets.safeParse(rawQuery(view, state));
  const serverNow = Date.now();

  // The same admission as GET /tickets (IP and user budgets; search switch and budget when searching).
  const data = await loadWorkspace(user, views, parsed.success ? parsed.data : null, await headers());

  const problems = listProblems(parsed, data);

  const title = staff ? view.label : view.key === "open" ? "My open requests" : "My solved requests";
  const nextHref = data.list?.nextCursor ? listHref(state, { cursor: data.list.nextCursor }) : null;
  const filtered = isFiltered(state);
  const compact = staff && (await cookies()).get(DENSITY_COOKIE)?.value === "compact";

  return (
    <div className={`workspace ${staff ? "staff" : "customer"}${compact ? " compact" : ""}`}>
      <ListKeys searchId={SEARCH_ID} />
      {staff ? <LiveList /> : null}
      <nav className="views" aria-label={staff ? "Ticket views" : "My requests"}>
        <ul>
          {views.map((v) => (
            <li key={v.key}>
              <Link href={`/?view=${v.key}`} aria-current={v.key === view.key ? "page" : undefined} data-testid={`view-${v.key}`}>
                <span>{staff ? v.label : v.key === "open" ? "Open" : "Solved"}</span>
                {data.counts[v.key] !== undefined ? (
                  <span className="count">
                    {formatViewCount(data.counts[v.key]!)}
                    <span className="visually-hidden"> tickets</span>
                  </span>
                ) : null}
              </Link>
            </li>
          ))}
        </ul>
        <Link href="/tickets/new" className="button primary new-ticket">
          {staff ? "New ticket" : "New request"}
        </Link>
      </nav>

      <main id="main" className="workspace-main">
        {staff ? <WorkspaceTabs userId={user.userId} /> : null}
        <div className="list-head">
          <h1 id="list-title">{title}</h1>
          <div className="list-tools">
            <FiltersToggle controls="list-filters" filtered={filtered} />
            {staff ? <DensityToggle compact={compact} /> : null}
          </div>
          <p className="muted list-summary" aria-live="polite">
            {data.list ? listSummary(data.list.data.length, Boolean(data.list.nextCursor), data.counts[view.key] ?? 0, filtered, Boolean(state.cursor)) : null}
          </p>
        </div>

        <search className="list-filters" id="list-filters" aria-label="Filter this list">
          {/* Keyed by the URL state: uncontrolled fields show the current view's values after a client-side navigation. */}
          <Form key={`${view.key}|${state.q}|${state.status}|${state.priority}|${state.tag}|${state.sort}`} action="/" className="filters-form">
            <input type="hidden" name="view" value={view.key} />
            <div className="field search-field">
              <label htmlFor={SEARCH_ID}>Search</label>
              <input id={SEARCH_ID} name="q" type="search" defaultValue={state.q} maxLength={200} placeholder={staff ? "Subject, messages and notes" : "Subject and messages"} aria-keyshortcuts="/" />
            </div>
            {staff ? (
              <>
                <div className="field">
                  <label htmlFor="filter-status">Status</label>
                  <select id="filter-status" name="status" defaultValue={state.status}>
                    <option value="">All in view</option>
                    <EnumOptions keys={STATUS_KEYS} labels={STATUS_LABELS} />
                  </select>
                </div>
                <div className="field">
                  <label htmlFor="filter-priority">Priority</label>
                  <select id="filter-priority" name="priority" defaultValue={state.priority}>
                    <option value="">Any</option>
                    <EnumOptions keys={PRIORITY_KEYS} labels={PRIORITY_LABELS} />
                  </select>
                </div>
                <div className="field">
                  <label htmlFor="filter-tag">Tag</label>
                  <input id="filter-tag" name="tag" type="text" defaultValue={state.tag} maxLength={50} autoCapitalize="none" spellCheck={false} />
                </div>
                <div className="field">
                  <label htmlFor="filter-sort">Sort</label>
                  <select id="filter-sort" name="sort" defaultValue={state.sort || VIEW_SORT[view.key] || "-updatedAt"}>
                    {SORTS.map((s) => (
                      <option key={s.value} value={s.value}>
                        {s.label}
                      </option>
                    ))}
                  </select>
                </div>
              </>
            ) : null}
            <div className="filter-actions">
              <button type="submit" className="button primary">
                {staff ? "Apply" : "Search"}
              </button>
              {filtered || state.sort ? (
                <Link href={`/?view=${view.key}`} className="button subtle">
                  Clear
                </Link>
              ) : null}
            </div>
          </Form>
        </search>

        {problems.length > 0 ? (
          <div className="error" role="alert" data-testid="list-problem">
            <p>The list could not be shown:</p>
            <ul>
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
            <p>
              <Link href={`/?view=${view.key}`}>Show the first page of {title}</Link>
            </p>
          </div>
        ) : null}

        {data.list && data.list.data.length > 0 ? (
          <>
            <div id="ticket-list" tabIndex={-1} className="ticket-list-anchor" />
            <TicketTable
              tickets={data.list.data}
              mode={staff ? "staff" : "customer"}
              caption={`${title}${filtered ? " (filtered)" : ""}`}
              serverNow={serverNow}
              people={data.people}
              selfId={user.userId}
              warningMinutes={data.warningMinutes}
            />
            <p className="hint shortcuts">
              Keyboard: <kbd>j</kbd> / <kbd>k</kbd> move between tickets, <kbd>Enter</kbd> opens, <kbd>/</kbd> searches, <kbd>?</kbd> lists every shortcut.
            </p>
          </>
        ) : null}
        {data.list && data.list.data.length === 0 ? <EmptyList staff={staff} filtered={filtered} viewKey={view.key} paged={Boolean(state.cursor)} /> : null}

        {data.list && (state.cursor || nextHref) ? (
          <nav className="pager" aria-label="Pages">
            {state.cursor ? (
              <Link href={listHref(state, { cursor: "" })} className="button subtle">
                ← First page
              </Link>
            ) : null}
            {nextHref ? (
              <Link href={nextHref} className="button subtle" rel="next">
                Next page →
              </Link>
            ) : null}
          </nav>
        ) : null}
      </main>
    </div>
  );
}

/**
 * Why the list is not shown, first reason first: the API's admission refused (429 rate_limited,
 * 503 feature_disabled, nothing was read), the URL does not parse, or the list refused it (a stale
 * cursor).
 */
function listProblems(parsed: ReturnType<typeof ZListTickets.safeParse>, data: WorkspaceData): string[] {
  const r = data.refused;
  if (r?.code === "feature_disabled") return ["Search is switched off for your organization right now. Clear the search to see the list."];
  if (r) {
    const wait = r.retryAfterSec ? ` Try again in ${r.retryAfterSec} second${r.retryAfterSec === 1 ? "" : "s"}.` : " Try again in a minute.";
    return [`Too many requests or searches in a short time.${wait}`];
  }
  if (!parsed.success) return parsed.error.issues.map((i) => `${FIELD_NAMES[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`);
  return data.error ? [`This page link is no longer valid (${data.error}).`] : [];
}

/** "Showing 25 of 33", "8 more of 33" on later pages, "25+ matching" when searched or filtered. */
function listSummary(shown: number, more: boolean, total: number, filtered: boolean, paged: boolean): string {
  if (filtered) return `${shown}${more ? "+" : ""} matching ${shown === 1 && !more ? "ticket" : "tickets"}`;
  const of = total > VIEW_COUNT_CAP ? `more than ${VIEW_COUNT_CAP.toLocaleString("en-US")}` : String(total);
  if (paged) return `${shown} more of ${of}`;
  return shown === total ? `${total} ${total === 1 ? "ticket" : "tickets"}` : `Showing ${shown} of ${of}`;
}

function EmptyList({ staff, filtered, viewKey, paged }: { staff: boolean; filtered: boolean; viewKey: string; paged: boolean }) {
  let text: string;
  if (paged) text = "No more tickets.";
  else if (filtered) text = "No tickets match your search and filters.";
  else if (!staff) text = viewKey === "open" ? "You have no open requests." : "You have no solved requests yet.";
  else if (viewKey === "mine") text = "Nothing assigned to you is open. Pick one up from Unassigned.";
  else if (viewKey === "breaching") text = "No SLA is about to be breached.";
  else text = "No tickets in this view.";
  return (
    <div className="empty card">
      <p>{text}</p>
      {!staff && !filtered ? (
        <Link href="/tickets/new" className="button primary">
          New request
        </Link>
      ) : null}
    </div>
  );
}
