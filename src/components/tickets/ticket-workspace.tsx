import Form from "next/form";
import Link from "next/link";
import { cookies, headers } from "next/headers";
import type { PageUser } from "@/server/auth/page-session";
import { isStaff } from "@/server/authz/permissions";
import { ZListTickets, type ListTickets } from "@/server/tickets/schemas";
import { CUSTOMER_VIEWS, STAFF_VIEWS, VIEW_COUNT_CAP, formatViewCount } from "@/server/tickets/view-counts";
import {
  loadStaffWorkspaceRefs,
  loadWorkspace,
  type StaffWorkspaceRefs,
  type WorkspaceData,
} from "@/server/pages/workspace-data";
import { isFiltered, listHref, readListState, type ListState, type SearchParams } from "@/lib/list-params";
import { PRIORITY_KEYS, PRIORITY_LABELS, STATUS_KEYS, STATUS_LABELS } from "@/lib/ticket-labels";
import { ListKeys } from "./list-keys";
import { TicketTable } from "./ticket-table";
import { BulkSelection } from "./bulk-actions";
import { ManageViewsButton, SaveViewButton } from "./view-manager";
import { EnumOptions } from "@/components/enum-options";
import { LiveList } from "@/components/live/live-list";
import { WorkspaceTabs } from "@/components/workspace/workspace-tabs";
import { DENSITY_COOKIE, DensityToggle, FiltersToggle } from "@/components/workspace/list-controls";

/**
 * A view as the list page uses it: staff views are the saved views (issue 14 item 2: the built-in
 * ones by their key, the others by id), customers' the two fixed ones. Filters are GET /tickets'
 * query parameters.
 */
type ListView = {
  key: string;
  label: string;
  filters: Record<string, string>;
  columns?: string[];
  sort: string;
  count?: number;
};

const PAGE_SIZE = "25";
const SEARCH_ID = "ticket-search";
/** The count of what the user's narrowing matches, beside the views' own counts. */
const CURRENT = "__current";

const SORTS = [
  { value: "-updatedAt", label: "Updated" },
  { value: "updatedAt", label: "Oldest update" },
  { value: "-createdAt", label: "Newest" },
  { value: "createdAt", label: "Oldest" },
  { value: "resolveDue", label: "Due soonest" },
  { value: "-priority", label: "Priority" },
];

/** A view's parsed filters back in query-string form (status lists comma-joined). */
function queryForm(f: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(",") : String(v);
  return out;
}

function staffViews(refs: StaffWorkspaceRefs): ListView[] {
  const visible = refs.views
    .filter((v) => !v.hidden)
    .map((v) => ({
      key: v.builtinKey ?? v.id,
      label: v.name,
      filters: v.filters,
      columns: v.columns,
      sort: v.sort,
      count: v.count,
    }));
  if (visible.length) return visible;
  // Every view hidden: the list still shows something, all open tickets.
  const all = STAFF_VIEWS.find((v) => v.key === "all")!;
  return [{ key: all.key, label: all.label, filters: queryForm(all.filters), sort: "-updatedAt" }];
}

const customerViews = (): ListView[] =>
  CUSTOMER_VIEWS.map((v) => ({ key: v.key, label: v.label, filters: queryForm(v.filters), sort: "-updatedAt" }));

/** The list's filters: the view's, with what the user narrowed replacing the view's own value. */
function effectiveFilters(view: ListView, s: ListState): Record<string, string> {
  const raw: Record<string, string> = { ...view.filters };
  if (s.status) raw.status = s.status;
  if (s.priority) raw.priority = s.priority;
  if (s.tag) raw.tag = s.tag;
  if (s.q) raw.q = s.q;
  if (s.group) raw.group = s.group;
  for (const [k, v] of Object.entries(s.cf)) raw[`cf.${k}`] = v;
  return raw;
}

/** The API's query string for a view plus what the user narrowed. */
function rawQuery(view: ListView, s: ListState): Record<string, string> {
  const raw: Record<string, string> = { limit: PAGE_SIZE, ...effectiveFilters(view, s) };
  raw.sort = s.sort || view.sort || "-updatedAt";
  if (s.cursor) raw.cursor = s.cursor;
  return raw;
}

const withoutPaging = ({ limit: _l, cursor: _c, sort: _s, ...filters }: ListTickets) => filters;

const FIELD_NAMES: Record<string, string> = {
  q: "Search",
  status: "Status",
  priority: "Priority",
  tag: "Tag",
  group: "Group",
  sort: "Sort",
  cursor: "Page link",
};

/**
 * "/" for everyone: the agent workspace (views with counts, search, filters, the list) for staff,
 * "My requests" for customers. Everything is in the URL, so views and pages can be bookmarked and
 * shared. Data comes only from the domain functions the API uses (same visibility rules).
 */
export async function TicketWorkspace({ user, searchParams }: { user: PageUser; searchParams: SearchParams }) {
  const staff = isStaff(user);
  const refs = staff ? await loadStaffWorkspaceRefs(user) : null;
  const views = refs ? staffViews(refs) : customerViews();
  const defaultView = staff ? (views.some((v) => v.key === "mine") ? "mine" : views[0]!.key) : "open";
  const state = readListState(searchParams, views, defaultView);
  const view = views.find((v) => v.key === state.view)!;
  const parsed = ZListTickets.safeParse(rawQuery(view, state));
  const serverNow = Date.now();
  const filtered = isFiltered(state);

  // Staff views come with their counts; what the user narrowed is counted too (for "select all N
  // matching"). Customers' two views are counted here. The same admission as GET /tickets (IP and
  // user budgets; search switch and budget when searching).
  const counted = staff
    ? filtered && parsed.success
      ? [{ key: CURRENT, filters: withoutPaging(parsed.data) }]
      : []
    : CUSTOMER_VIEWS;
  const data = await loadWorkspace(user, counted, parsed.success ? parsed.data : null, await headers());
  const countOf = (v: ListView) => (staff ? v.count : data.counts[v.key]);

  const problems = listProblems(parsed, data);

  const title = staff ? view.label : view.key === "open" ? "My open requests" : "My solved requests";
  const nextHref = data.list?.nextCursor ? listHref(state, { cursor: data.list.nextCursor }) : null;
  const compact = staff && (await cookies()).get(DENSITY_COOKIE)?.value === "compact";
  const filters = effectiveFilters(view, state);
  const sort = state.sort || view.sort || "-updatedAt";
  const matching = (filtered ? data.counts[CURRENT] : view.count) ?? 0;
  const fieldLabels = Object.fromEntries((refs?.fields ?? []).map((f) => [f.key, f.label]));

  return (
    <div className={`workspace ${staff ? "staff" : "customer"}${compact ? " compact" : ""}`}>
      <ListKeys searchId={SEARCH_ID} />
      {staff ? <LiveList /> : null}
      <nav className="views" aria-label={staff ? "Ticket views" : "My requests"}>
        <ul>
          {views.map((v) => (
            <li key={v.key}>
              <Link
                href={`/?view=${v.key}`}
                aria-current={v.key === view.key ? "page" : undefined}
                data-testid={`view-${v.key}`}
              >
                <span>{staff ? v.label : v.key === "open" ? "Open" : "Solved"}</span>
                {countOf(v) !== undefined ? (
                  <span className="count">
                    {formatViewCount(countOf(v)!)}
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
        {refs ? (
          <ManageViewsButton
            views={refs.views}
            selfId={user.userId}
            admin={refs.admin}
            currentId={refs.views.find((v) => v.id === view.key)?.id ?? null}
          />
        ) : null}
      </nav>

      <main id="main" className="workspace-main">
        {staff ? <WorkspaceTabs userId={user.userId} /> : null}
        <div className="list-head">
          <h1 id="list-title">{title}</h1>
          <div className="list-tools">
            <FiltersToggle controls="list-filters" filtered={filtered} />
            {refs ? (
              <SaveViewButton
                filters={filters}
                sort={sort}
                columns={view.columns ?? []}
                fields={refs.fields}
                admin={refs.admin}
                groups={refs.groups}
              />
            ) : null}
            {staff ? <DensityToggle compact={compact} /> : null}
          </div>
          <p className="muted list-summary" aria-live="polite">
            {data.list
              ? listSummary(
                  data.list.data.length,
                  Boolean(data.list.nextCursor),
                  countOf(view) ?? 0,
                  filtered,
                  Boolean(state.cursor),
                )
              : null}
          </p>
        </div>

        <search className="list-filters" id="list-filters" aria-label="Filter this list">
          {/* Keyed by the URL state: uncontrolled fields show the current view's values after a client-side navigation. */}
          <Form key={JSON.stringify(state)} action="/" className="filters-form">
            <input type="hidden" name="view" value={view.key} />
            <div className="field search-field">
              <label htmlFor={SEARCH_ID}>Search</label>
              <input
                id={SEARCH_ID}
                name="q"
                type="search"
                defaultValue={state.q}
                maxLength={200}
                placeholder={staff ? "Subject, messages and notes" : "Subject and messages"}
                aria-keyshortcuts="/"
              />
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
                  <input
                    id="filter-tag"
                    name="tag"
                    type="text"
                    defaultValue={state.tag}
                    maxLength={50}
                    autoCapitalize="none"
                    spellCheck={false}
                  />
                </div>
                {refs && refs.groups.length ? (
                  <div className="field">
                    <label htmlFor="filter-group">Group</label>
                    <select id="filter-group" name="group" defaultValue={state.group}>
                      <option value="">Any</option>
                      <option value="none">No group</option>
                      {refs.groups.map((g) => (
                        <option key={g.id} value={g.id}>
                          {g.name}
                        </option>
                      ))}
                    </select>
                  </div>
                ) : null}
                {(refs?.fields ?? []).map((f) => (
                  <div className="field" key={f.key}>
                    <label htmlFor={`filter-cf-${f.key}`}>{f.label}</label>
                    {f.type === "dropdown" || f.type === "multiselect" || f.type === "checkbox" ? (
                      <select id={`filter-cf-${f.key}`} name={`cf.${f.key}`} defaultValue={state.cf[f.key] ?? ""}>
                        <option value="">Any</option>
                        {(f.type === "checkbox" ? ["true", "false"] : f.options).map((o) => (
                          <option key={o} value={o}>
                            {f.type === "checkbox" ? (o === "true" ? "Yes" : "No") : o}
                          </option>
                        ))}
                      </select>
                    ) : (
                      <input
                        id={`filter-cf-${f.key}`}
                        name={`cf.${f.key}`}
                        type={f.type === "date" ? "date" : "text"}
                        defaultValue={state.cf[f.key] ?? ""}
                        maxLength={200}
                      />
                    )}
                  </div>
                ))}
                <div className="field">
                  <label htmlFor="filter-sort">Sort</label>
                  <select id="filter-sort" name="sort" defaultValue={sort}>
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
            {refs ? (
              <BulkSelection
                rows={data.list.data.map((t) => ({ id: t.id, number: t.number }))}
                matching={matching}
                filters={filters}
                agents={refs.agents}
                groups={refs.groups}
                macros={refs.macros}
              >
                <TicketTable
                  tickets={data.list.data}
                  mode="staff"
                  caption={`${title}${filtered ? " (filtered)" : ""}`}
                  serverNow={serverNow}
                  people={data.people}
                  selfId={user.userId}
                  warningMinutes={data.warningMinutes}
                  columns={view.columns}
                  fieldLabels={fieldLabels}
                  groupNames={new Map(refs.groups.map((g) => [g.id, g.name]))}
                  selectable
                />
              </BulkSelection>
            ) : (
              <TicketTable
                tickets={data.list.data}
                mode="customer"
                caption={`${title}${filtered ? " (filtered)" : ""}`}
                serverNow={serverNow}
                selfId={user.userId}
              />
            )}
            <p className="hint shortcuts">
              Keyboard: <kbd>j</kbd> / <kbd>k</kbd> move between tickets, <kbd>Enter</kbd> opens,
              {staff ? (
                <>
                  {" "}
                  <kbd>Shift</kbd> + <kbd>X</kbd> selects,
                </>
              ) : null}{" "}
              <kbd>/</kbd> searches, <kbd>?</kbd> lists every shortcut.
            </p>
          </>
        ) : null}
        {data.list && data.list.data.length === 0 ? (
          <EmptyList staff={staff} filtered={filtered} viewKey={view.key} paged={Boolean(state.cursor)} />
        ) : null}

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
  if (r?.code === "feature_disabled")
    return ["Search is switched off for your organization right now. Clear the search to see the list."];
  if (r) {
    const wait = r.retryAfterSec
      ? ` Try again in ${r.retryAfterSec} second${r.retryAfterSec === 1 ? "" : "s"}.`
      : " Try again in a minute.";
    return [`Too many requests or searches in a short time.${wait}`];
  }
  if (!parsed.success)
    return parsed.error.issues.map((i) => `${FIELD_NAMES[String(i.path[0])] ?? String(i.path[0])}: ${i.message}`);
  return data.error ? [`This page link is no longer valid (${data.error}).`] : [];
}

/** "Showing 25 of 33", "8 more of 33" on later pages, "25+ matching" when searched or filtered. */
function listSummary(shown: number, more: boolean, total: number, filtered: boolean, paged: boolean): string {
  if (filtered) return `${shown}${more ? "+" : ""} matching ${shown === 1 && !more ? "ticket" : "tickets"}`;
  const of = total > VIEW_COUNT_CAP ? `more than ${VIEW_COUNT_CAP.toLocaleString("en-US")}` : String(total);
  if (paged) return `${shown} more of ${of}`;
  return shown === total ? `${total} ${total === 1 ? "ticket" : "tickets"}` : `Showing ${shown} of ${of}`;
}

function EmptyList({
  staff,
  filtered,
  viewKey,
  paged,
}: {
  staff: boolean;
  filtered: boolean;
  viewKey: string;
  paged: boolean;
}) {
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
