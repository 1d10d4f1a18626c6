import type { StaffWorkspaceRefs } from "@/server/pages/workspace-data";
import type { ListTickets } from "@/server/tickets/schemas";
import { CUSTOMER_VIEWS, STAFF_VIEWS } from "@/server/tickets/view-counts";
import type { ListState } from "@/lib/list-params";

// The ticket list page's views and the GET /tickets query it sends for one of them. Pure.

/**
 * A view as the list page uses it: staff views are the saved views (issue 14 item 2: the built-in
 * ones by their key, the others by id), customers' the two fixed ones. Filters are GET /tickets'
 * query parameters.
 */
export type ListView = {
  key: string;
  label: string;
  filters: Record<string, string>;
  columns?: string[];
  sort: string;
  count?: number;
};

const PAGE_SIZE = "25";

/** A view's parsed filters back in query-string form (status lists comma-joined). */
function queryForm(f: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(",") : String(v);
  return out;
}

export function staffViews(refs: StaffWorkspaceRefs): ListView[] {
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

export const customerViews = (): ListView[] =>
  CUSTOMER_VIEWS.map((v) => ({ key: v.key, label: v.label, filters: queryForm(v.filters), sort: "-updatedAt" }));

/** The list's filters: the view's, with what the user narrowed replacing the view's own value. */
export function effectiveFilters(view: ListView, s: ListState): Record<string, string> {
  const raw: Record<string, string> = { ...view.filters };
  if (s.status) raw.status = s.status;
  if (s.priority) raw.priority = s.priority;
  if (s.tag) raw.tag = s.tag;
  if (s.q) raw.q = s.q;
  if (s.group) raw.group = s.group;
  for (const [k, v] of Object.entries(s.cf)) raw[`cf.${k}`] = v;
  return raw;
}

/** The list's sort: the user's, else the view's. */
export const effectiveSort = (view: ListView, s: ListState) => s.sort || view.sort || "-updatedAt";

/** The API's query string for a view plus what the user narrowed. */
export function rawQuery(view: ListView, s: ListState): Record<string, string> {
  const raw: Record<string, string> = { limit: PAGE_SIZE, ...effectiveFilters(view, s) };
  raw.sort = effectiveSort(view, s);
  if (s.cursor) raw.cursor = s.cursor;
  return raw;
}

export const withoutPaging = ({ limit: _l, cursor: _c, sort: _s, ...filters }: ListTickets) => filters;
