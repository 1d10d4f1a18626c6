import { cookies, headers } from "next/headers";
import type { PageUser } from "@/server/auth/page-session";
import { isStaff } from "@/server/authz/permissions";
import { ZListTickets, type ListTickets } from "@/server/tickets/schemas";
import { CUSTOMER_VIEWS } from "@/server/tickets/view-counts";
import { loadStaffWorkspaceRefs, loadWorkspace, type StaffWorkspaceRefs } from "@/server/pages/workspace-data";
import { parseListQuery } from "@/server/pages/list-page";
import { isFiltered, readListState, type ListState, type SearchParams } from "@/lib/list-params";
import { DENSITY_COOKIE } from "@/components/workspace/list-controls";
import {
  customerViews,
  effectiveFilters,
  effectiveSort,
  rawQuery,
  staffViews,
  withoutPaging,
  type ListView,
} from "./workspace-query";
import { listProblems } from "./workspace-messages";

// Everything the list page ("/") shows, read from its URL and the domain: the views, the list's
// state, one page of tickets, and what to say about them. The component only draws it.

/** The count of what the user's narrowing matches, beside the views' own counts. */
export const CURRENT = "__current";

const defaultViewOf = (staff: boolean, views: ListView[]) =>
  !staff ? "open" : views.some((v) => v.key === "mine") ? "mine" : views[0]!.key;

/**
 * Staff views come with their counts; what the user narrowed is counted too (for "select all N
 * matching"). Customers' two views are counted here.
 */
function countedViews(staff: boolean, filtered: boolean, query: ListTickets | null) {
  if (!staff) return CUSTOMER_VIEWS;
  return filtered && query ? [{ key: CURRENT, filters: withoutPaging(query) }] : [];
}

const titleOf = (staff: boolean, view: ListView) =>
  staff ? view.label : view.key === "open" ? "My open requests" : "My solved requests";

async function viewsFor(user: PageUser): Promise<{ refs: StaffWorkspaceRefs | null; views: ListView[] }> {
  if (!isStaff(user)) return { refs: null, views: customerViews() };
  const refs = await loadStaffWorkspaceRefs(user);
  return { refs, views: staffViews(refs) };
}

export async function loadWorkspaceModel(user: PageUser, searchParams: SearchParams) {
  const staff = isStaff(user);
  const { refs, views } = await viewsFor(user);
  const urlState = readListState(searchParams, views, defaultViewOf(staff, views));
  const view = views.find((v) => v.key === urlState.view)!;
  const parsed = parseListQuery(ZListTickets, rawQuery(view, urlState));
  const query = parsed.ok ? parsed.query : null;
  const filtered = isFiltered(urlState);
  // The same admission as GET /tickets (IP and user budgets; search switch and budget when searching).
  const data = await loadWorkspace(user, countedViews(staff, filtered, query), query, await headers());
  // A stale cursor (refused by the schema or by the list) showed the first page: the page is drawn as page one.
  const stale = parsed.cursorDropped || data.cursorDropped === true;
  const state: ListState = stale ? { ...urlState, cursor: "" } : urlState;
  const title = titleOf(staff, view);
  return {
    staff,
    refs,
    views,
    view,
    state,
    filtered,
    data,
    stale,
    title,
    caption: `${title}${filtered ? " (filtered)" : ""}`,
    problems: listProblems(parsed.ok ? null : parsed.issues, data),
    filters: effectiveFilters(view, state),
    sort: effectiveSort(view, state),
    compact: staff && (await cookies()).get(DENSITY_COOKIE)?.value === "compact",
    countOf: (v: ListView) => (staff ? v.count : data.counts[v.key]),
  };
}

export type WorkspaceModel = Awaited<ReturnType<typeof loadWorkspaceModel>>;

/** What "select all N matching" counts: the user's narrowing when there is one, else the view. */
export const matchingCount = (m: WorkspaceModel) => (m.filtered ? m.data.counts[CURRENT] : m.view.count) ?? 0;
