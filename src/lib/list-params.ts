// The ticket list's state lives in the URL (/?view=mine&q=…&cursor=…): parsing it and making links.
// Pure; the page validates the result with the API's own schema (ZListTickets).

export type SearchParams = Record<string, string | string[] | undefined>;

export const first = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

/** The user's own narrowing of a view; empty strings mean "not set". cf holds ?cf.<key>= custom field filters. */
export type ListState = {
  view: string;
  q: string;
  status: string;
  priority: string;
  tag: string;
  group: string;
  sort: string;
  cursor: string;
  cf: Record<string, string>;
};

const KEYS = ["q", "status", "priority", "tag", "group", "sort", "cursor"] as const;
/** GET /tickets' custom field filter parameter (the same pattern as CF_PARAM in the API schema). */
export const CF_PARAM = /^cf\.[a-z][a-z0-9_]{0,39}$/;

export function readListState(sp: SearchParams, views: { key: string }[], defaultView: string): ListState {
  const view = first(sp.view) ?? "";
  const state: ListState = {
    view: views.some((v) => v.key === view) ? view : defaultView,
    q: "",
    status: "",
    priority: "",
    tag: "",
    group: "",
    sort: "",
    cursor: "",
    cf: {},
  };
  for (const k of KEYS) state[k] = (first(sp[k]) ?? "").trim().slice(0, 2048);
  for (const [k, v] of Object.entries(sp)) {
    const text = (first(v) ?? "").trim().slice(0, 200);
    if (CF_PARAM.test(k) && text) state.cf[k.slice(3)] = text;
  }
  return state;
}

/** A link to the list with some state changed; a changed view or filter starts from the first page. */
export function listHref(state: ListState, change: Partial<ListState>): string {
  const next: ListState = { ...state, ...change };
  if (!("cursor" in change)) next.cursor = "";
  const p = new URLSearchParams();
  p.set("view", next.view);
  for (const k of KEYS) if (next[k]) p.set(k, next[k]);
  for (const [k, v] of Object.entries(next.cf)) p.set(`cf.${k}`, v);
  return `/?${p.toString()}`;
}

/** True when the user narrowed the view with search or filters. */
export const isFiltered = (s: ListState) =>
  Boolean(s.q || s.status || s.priority || s.tag || s.group || Object.keys(s.cf).length);
