// The ticket list's state lives in the URL (/?view=mine&q=…&cursor=…): parsing it and making links.
// Pure; the page validates the result with the API's own schema (ZListTickets).

export type SearchParams = Record<string, string | string[] | undefined>;

export const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The user's own narrowing of a view; empty strings mean "not set". */
export type ListState = { view: string; q: string; status: string; priority: string; tag: string; sort: string; cursor: string };

const KEYS = ["q", "status", "priority", "tag", "sort", "cursor"] as const;

export function readListState(sp: SearchParams, views: { key: string }[], defaultView: string): ListState {
  const view = first(sp.view) ?? "";
  const state: ListState = { view: views.some((v) => v.key === view) ? view : defaultView, q: "", status: "", priority: "", tag: "", sort: "", cursor: "" };
  for (const k of KEYS) state[k] = (first(sp[k]) ?? "").trim().slice(0, 2048);
  return state;
}

/** A link to the list with some state changed; a changed view or filter starts from the first page. */
export function listHref(state: ListState, change: Partial<ListState>): string {
  const next: ListState = { ...state, ...change };
  if (!("cursor" in change)) next.cursor = "";
  const p = new URLSearchParams();
  p.set("view", next.view);
  for (const k of KEYS) if (next[k]) p.set(k, next[k]);
  return `/?${p.toString()}`;
}

/** True when the user narrowed the view with search or filters. */
export const isFiltered = (s: ListState) => Boolean(s.q || s.status || s.priority || s.tag);
