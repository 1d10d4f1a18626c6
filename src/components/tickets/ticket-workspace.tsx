import { cookies, headers } from "next/headers";
import type { PageUser } from "@/server/auth/page-session";
import { isStaff } from "@/server/authz/permissions";
import { ZListTickets } from "@/server/tickets/schemas";
import { CUSTOMER_VIEWS } from "@/server/tickets/view-counts";
import { loadStaffWorkspaceRefs, loadWorkspace } from "@/server/pages/workspace-data";
import { parseListQuery, STALE_CURSOR_NOTICE } from "@/server/pages/list-page";
import { isFiltered, readListState, type SearchParams } from "@/lib/list-params";
import { ListKeys } from "./list-keys";
import { SaveViewButton } from "./view-manager";
import { LiveList } from "@/components/live/live-list";
import { WorkspaceTabs } from "@/components/workspace/workspace-tabs";
import { DENSITY_COOKIE, DensityToggle, FiltersToggle } from "@/components/workspace/list-controls";
import { customerViews, effectiveFilters, effectiveSort, rawQuery, staffViews, withoutPaging } from "./workspace-query";
import { SEARCH_ID, WorkspaceFilters } from "./workspace-filters";
import { WorkspaceViewsNav } from "./workspace-views-nav";
import { EmptyList, ListProblems, listProblems, listSummary } from "./workspace-messages";
import { WorkspacePager, WorkspaceRows } from "./workspace-list";

/** The count of what the user's narrowing matches, beside the views' own counts. */
const CURRENT = "__current";

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
  const urlState = readListState(searchParams, views, defaultView);
  const view = views.find((v) => v.key === urlState.view)!;
  const parsed = parseListQuery(ZListTickets, rawQuery(view, urlState));
  const query = parsed.ok ? parsed.query : null;
  const serverNow = Date.now();
  const filtered = isFiltered(urlState);

  // Staff views come with their counts; what the user narrowed is counted too (for "select all N
  // matching"). Customers' two views are counted here. The same admission as GET /tickets (IP and
  // user budgets; search switch and budget when searching).
  const counted = staff ? (filtered && query ? [{ key: CURRENT, filters: withoutPaging(query) }] : []) : CUSTOMER_VIEWS;
  const data = await loadWorkspace(user, counted, query, await headers());
  const countOf = (v: typeof view) => (staff ? v.count : data.counts[v.key]);

  // A stale cursor (refused by the schema or by the list) showed the first page: the page is drawn as page one.
  const stale = parsed.cursorDropped || Boolean(data.cursorDropped);
  const state = stale ? { ...urlState, cursor: "" } : urlState;
  const problems = listProblems(parsed.ok ? null : parsed.issues, data);
  const title = staff ? view.label : view.key === "open" ? "My open requests" : "My solved requests";
  const compact = staff && (await cookies()).get(DENSITY_COOKIE)?.value === "compact";
  const filters = effectiveFilters(view, state);
  const sort = effectiveSort(view, state);
  const caption = `${title}${filtered ? " (filtered)" : ""}`;

  return (
    <div className={`workspace ${staff ? "staff" : "customer"}${compact ? " compact" : ""}`}>
      <ListKeys searchId={SEARCH_ID} />
      {staff ? <LiveList /> : null}
      <WorkspaceViewsNav
        views={views}
        current={view}
        staff={staff}
        countOf={countOf}
        refs={refs}
        selfId={user.userId}
      />

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

        <WorkspaceFilters state={state} viewKey={view.key} staff={staff} filtered={filtered} sort={sort} refs={refs} />

        {problems.length > 0 ? <ListProblems problems={problems} viewKey={view.key} title={title} /> : null}
        {stale && data.list ? (
          <p className="notice" role="alert" data-testid="list-notice">
            {STALE_CURSOR_NOTICE}
          </p>
        ) : null}

        {data.list && data.list.data.length > 0 ? (
          <WorkspaceRows
            list={data.list}
            data={data}
            refs={refs}
            user={user}
            view={view}
            caption={caption}
            filters={filters}
            matching={(filtered ? data.counts[CURRENT] : view.count) ?? 0}
            serverNow={serverNow}
          />
        ) : null}
        {data.list && data.list.data.length === 0 ? (
          <EmptyList staff={staff} filtered={filtered} viewKey={view.key} paged={Boolean(state.cursor)} />
        ) : null}
        {data.list ? <WorkspacePager state={state} nextCursor={data.list.nextCursor} /> : null}
      </main>
    </div>
  );
}
