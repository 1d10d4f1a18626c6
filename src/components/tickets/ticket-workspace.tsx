import type { PageUser } from "@/server/auth/page-session";
import { STALE_CURSOR_NOTICE } from "@/server/pages/list-page";
import type { SearchParams } from "@/lib/list-params";
import { ListKeys } from "./list-keys";
import { SaveViewButton } from "./view-manager";
import { LiveList } from "@/components/live/live-list";
import { WorkspaceTabs } from "@/components/workspace/workspace-tabs";
import { DensityToggle, FiltersToggle } from "@/components/workspace/list-controls";
import { SEARCH_ID, WorkspaceFilters } from "./workspace-filters";
import { WorkspaceViewsNav } from "./workspace-views-nav";
import { EmptyList, ListProblems, listSummary } from "./workspace-messages";
import { WorkspacePager, WorkspaceRows } from "./workspace-list";
import { loadWorkspaceModel, matchingCount, type WorkspaceModel } from "./workspace-model";

/**
 * "/" for everyone: the agent workspace (views with counts, search, filters, the list) for staff,
 * "My requests" for customers. Everything is in the URL, so views and pages can be bookmarked and
 * shared. Data comes only from the domain functions the API uses (same visibility rules).
 */
export async function TicketWorkspace({ user, searchParams }: { user: PageUser; searchParams: SearchParams }) {
  const serverNow = Date.now();
  const m = await loadWorkspaceModel(user, searchParams);
  const { staff, refs, view, state, data } = m;
  return (
    <div className={`workspace ${staff ? "staff" : "customer"}${m.compact ? " compact" : ""}`}>
      <ListKeys searchId={SEARCH_ID} />
      {staff ? <LiveList /> : null}
      <WorkspaceViewsNav
        views={m.views}
        current={view}
        staff={staff}
        countOf={m.countOf}
        refs={refs}
        selfId={user.userId}
      />
      <main id="main" className="workspace-main">
        {staff ? <WorkspaceTabs userId={user.userId} /> : null}
        <ListHead m={m} />
        <WorkspaceFilters
          state={state}
          viewKey={view.key}
          staff={staff}
          filtered={m.filtered}
          sort={m.sort}
          refs={refs}
        />
        {m.problems.length > 0 ? <ListProblems problems={m.problems} viewKey={view.key} title={m.title} /> : null}
        {data.list ? <ListBody m={m} list={data.list} user={user} serverNow={serverNow} /> : null}
      </main>
    </div>
  );
}

/** The title, the list tools (filters, save view, density) and the "Showing 25 of 33" line. */
function ListHead({ m }: { m: WorkspaceModel }) {
  const { refs, view, data } = m;
  return (
    <div className="list-head">
      <h1 id="list-title">{m.title}</h1>
      <div className="list-tools">
        <FiltersToggle controls="list-filters" filtered={m.filtered} />
        {refs ? (
          <SaveViewButton
            filters={m.filters}
            sort={m.sort}
            columns={view.columns ?? []}
            fields={refs.fields}
            admin={refs.admin}
            groups={refs.groups}
          />
        ) : null}
        {m.staff ? <DensityToggle compact={m.compact} /> : null}
      </div>
      <p className="muted list-summary" aria-live="polite">
        {data.list
          ? listSummary(
              data.list.data.length,
              Boolean(data.list.nextCursor),
              m.countOf(view) ?? 0,
              m.filtered,
              Boolean(m.state.cursor),
            )
          : null}
      </p>
    </div>
  );
}

type List = NonNullable<WorkspaceModel["data"]["list"]>;

/** The stale-link notice, the rows (or why there are none) and the pager. */
function ListBody({ m, list, user, serverNow }: { m: WorkspaceModel; list: List; user: PageUser; serverNow: number }) {
  const paged = Boolean(m.state.cursor);
  return (
    <>
      {m.stale ? (
        <p className="notice" role="alert" data-testid="list-notice">
          {STALE_CURSOR_NOTICE}
        </p>
      ) : null}
      {list.data.length > 0 ? (
        <WorkspaceRows
          list={list}
          data={m.data}
          refs={m.refs}
          user={user}
          view={m.view}
          caption={m.caption}
          filters={m.filters}
          matching={matchingCount(m)}
          serverNow={serverNow}
        />
      ) : (
        <EmptyList staff={m.staff} filtered={m.filtered} viewKey={m.view.key} paged={paged} />
      )}
      <WorkspacePager state={m.state} nextCursor={list.nextCursor} />
    </>
  );
}
