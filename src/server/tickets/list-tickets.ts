import "server-only";
import { and, arrayContains, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { Admission } from "../ratelimit/admission";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { visibleTo } from "../authz/visibility";
import { isStaff } from "../authz/permissions";
import type { AnyTicketView, ListTickets, SortKey } from "./schemas";
import {
  customerFieldKeys,
  customerSeesSla,
  ticketColumns,
  viewerFor,
  type TicketRow,
} from "../ticket-model/ticket-view";
import { precompiled } from "../db/precompiled";
import { customFieldConditions, loadFieldDefs, type FieldDef } from "../fields/custom-values";

type Cursor = { s: string; v: string; id: string };
const isCursor = (v: unknown): v is Cursor =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as Cursor).s === "string" &&
  typeof (v as Cursor).v === "string" &&
  typeof (v as Cursor).id === "string";

// Sort expressions; resolveDue puts tickets without a due date last in either direction.
const SORT_SQL: Record<SortKey, { expr: SQL; cast: string }> = {
  updatedAt: { expr: sql`${tickets.updatedAt}`, cast: "timestamptz" },
  createdAt: { expr: sql`${tickets.createdAt}`, cast: "timestamptz" },
  resolveDue: { expr: sql`coalesce(${tickets.resolveDue}, 'infinity'::timestamptz)`, cast: "timestamptz" },
  priority: { expr: sql`${tickets.priority}`, cast: "ticket_priority" },
};

/**
 * Filters of GET /tickets, scoped to what the caller may see (RLS scopes the org). Custom field
 * filters (q.cf) need the org's field definitions (`fieldDefs`, from loadFieldDefs).
 */
export function ticketFilters(
  scope: { user: Pick<Scope["user"], "userId" | "role" | "orgId"> },
  q: Omit<ListTickets, "limit" | "cursor" | "sort">,
  fieldDefs: readonly FieldDef[] = [],
): SQL[] {
  // Scoped in the query as well as by row-level security (tenancy in depth).
  const where: (SQL | undefined)[] = [eq(tickets.orgId, scope.user.orgId), visibleTo(scope.user)];
  if (q.status) where.push(inArray(tickets.status, q.status));
  if (q.priority) where.push(inArray(tickets.priority, q.priority));
  if (q.assigneeId === "me") where.push(eq(tickets.assigneeId, scope.user.userId));
  else if (q.assigneeId === "none") where.push(isNull(tickets.assigneeId));
  else if (q.assigneeId) where.push(eq(tickets.assigneeId, q.assigneeId));
  if (q.group === "none") where.push(isNull(tickets.groupId));
  else if (q.group) where.push(eq(tickets.groupId, q.group));
  if (q.requesterId) where.push(eq(tickets.requesterId, q.requesterId));
  if (q.tag) where.push(arrayContains(tickets.tags, [q.tag]));
  if (q.q) where.push(searchCondition(isStaff(scope.user), scope.user.orgId, q.q, likePattern(q.q), TICKET_COLS));
  if (q.sla) where.push(slaCondition(q.sla === "breaching" ? sql`now() + interval '2 hours'` : sql`now()`));
  if (q.cf) where.push(...customFieldConditions(scope.user, q.cf, fieldDefs));
  return where.filter((w): w is SQL => w !== undefined);
}

/**
 * A running metric (not fulfilled, resolution not paused, ticket not finished) due before `before`.
 * The finished statuses (lifecycle's FINISHED_STATUSES) are literals here, not parameters, so the
 * planner can match the SLA partial indexes' own predicate.
 */
function slaCondition(before: SQL): SQL {
  return sql`(${tickets.status} not in ('solved', 'closed') and (
    (${tickets.firstResponseAt} is null and ${tickets.firstResponseDue} < ${before})
    or (${tickets.resolvedAt} is null and ${tickets.slaPausedAt} is null and ${tickets.resolveDue} < ${before})
    or (${tickets.nextResponseDue} < ${before})))`;
}

type SearchColumns = { id: SQL; vector: SQL; subject: SQL };
const TICKET_COLS: SearchColumns = {
  id: sql`${tickets.id}`,
  vector: sql`${tickets.searchVector}`,
  subject: sql`${tickets.subject}`,
};
const WINDOW_COLS: SearchColumns = { id: sql`w.id`, vector: sql`w.vector`, subject: sql`w.subject` };

/** The subject pattern of a search: the text anywhere, its LIKE wildcards taken literally. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;

/**
 * Full text over the subject and every comment the caller may see, plus partial subject matches
 * (pg_trgm). tickets.search_vector holds the subject and public comments only; internal notes
 * are searched through their own vectors, and only for staff. `cols` names the columns it tests:
 * the tickets table's, or a subquery's (the bounded search window below). `org`, `text` and
 * `like` are values or placeholders (the prepared search page).
 *
 * The tsquery is a scalar subquery, so PostgreSQL computes it once per statement (an InitPlan)
 * and uses it as a value, in the index conditions too: written as a plain call on a parameter,
 * a generic plan (a prepared statement) would parse the query text again for every row it tests
 * (docs/decisions/065).
 */
function searchCondition(staff: boolean, org: unknown, text: unknown, like: unknown, cols: SearchColumns): SQL {
  const query = sql`(select websearch_to_tsquery('english', ${text}))`;
  // Notes are matched once for the whole query (an array of ticket ids), not re-searched per
  // candidate ticket (docs/decisions/008).
  const internal = staff
    ? sql` or ${cols.id} = any(array(select c.ticket_id from comments c where c.org_id = ${org} and c.internal and c.search_vector @@ ${query}))`
    : sql``;
  return sql`(${cols.vector} @@ ${query} or ${cols.subject} ilike ${like}${internal})`;
}

/**
 * How many rows, in the list's own order, a search tests one by one before it falls back to the
 * search indexes for the rest (docs/decisions/048).
 */
export const SEARCH_WINDOW = 1_000;

/**
 * The ids of a search page, found with bounded work whatever the term (docs/decisions/048):
 *
 * 1. `hits`: walk the list's order (the same filters, sort and cursor, without q) through the
 *    ordered index, at most `window` rows, testing the search on each and stopping at `take`
 *    matches. A term that is common among recent tickets (most multi-word terms) ends here after
 *    a few hundred rows, never ranking thousands of index candidates.
 * 2. `more`, only when the window was full and held fewer than `take` matches (a rare or absent
 *    term): the matches after the window, through the search indexes (ordered by a row value, so
 *    the planner cannot turn this into another walk of the whole org), then sorted. Rare terms
 *    have few candidates, which is when that plan is cheap.
 *
 * Together: every match of the first `take` in the list's order, exactly what the single
 * statement gave (every row of the window precedes every row after it).
 */
function searchPageIds(
  filters: SQL[],
  search: { inWindow: SQL; onTickets: SQL },
  expr: SQL,
  desc: boolean,
  /** limit + 1, the window's size and its last row's offset (window − 1): numbers or placeholders. */
  sizes: { take: unknown; window: unknown; windowLast: unknown },
): SQL {
  const { take, window, windowLast } = sizes;
  const dir = desc ? sql`desc` : sql`asc`;
  const cmp = desc ? sql`<` : sql`>`;
  const f = and(...filters)!;
  return sql`(with hits as (
      select w.id, w.k from (
        select ${tickets.id} as id, (${expr}) as k, ${tickets.searchVector} as vector, ${tickets.subject} as subject
        from ${tickets} where ${f} order by ${expr} ${dir}, ${tickets.id} ${dir} limit ${window}
      ) w
      where ${search.inWindow}
      order by w.k ${dir}, w.id ${dir} limit ${take}
    ), window_end as (
      select e.k, e.id from (
        select (${expr}) as k, ${tickets.id} as id from ${tickets} where ${f} order by ${expr} ${dir}, ${tickets.id} ${dir} limit ${window}
      ) e order by e.k ${dir}, e.id ${dir} offset ${windowLast} limit 1
    ), more as (
      select ${tickets.id} as id from ${tickets}, window_end
      where (select count(*) from hits) < ${take} and ${f} and ${search.onTickets}
        and ((${expr}), ${tickets.id}) ${cmp} (window_end.k, window_end.id)
      order by row((${expr}), ${tickets.id}) ${dir} limit ${take}
    )
    select id from hits union all select id from more)`;
}

/**
 * Customers may not filter or sort by what their view hides (tags, priority, assignee, group; SLA due
 * times unless the org shows them): 403 naming the parameters, never a silently ignored filter
 * that still narrows the list and so reveals the hidden value (docs/decisions/026).
 */
function assertCustomerMayQuery(user: Scope["user"], q: ListTickets, showSla: boolean): void {
  if (isStaff(user)) return;
  const sortKey = q.sort.replace(/^-/, "");
  const refused = new Set<string>();
  if (q.tag !== undefined) refused.add("tag");
  if (q.priority !== undefined) refused.add("priority");
  if (q.assigneeId !== undefined) refused.add("assigneeId");
  if (q.group !== undefined) refused.add("group");
  if (sortKey === "priority") refused.add("sort");
  if (!showSla) {
    if (q.sla !== undefined) refused.add("sla");
    if (sortKey === "resolveDue") refused.add("sort");
  }
  if (refused.size === 0) return;
  const fields = [...refused];
  throw new AppError(
    "forbidden",
    `customers may not filter or sort tickets by ${fields.join(", ")}: staff-only fields`,
    {
      reason: "staff_only_filter",
      fields,
    },
  );
}

const searching = (q: Pick<ListTickets, "q"> | null) => q?.q !== undefined;

/**
 * What listing tickets must pass, for GET /tickets and the ticket list page alike: a search (q)
 * needs the `search` feature and spends the stricter search budget (decision 026).
 */
export const LIST_TICKETS_ADMISSION = {
  feature: { name: "search", when: searching },
  rateLimit: { name: "search", when: searching },
} satisfies Admission<ListTickets | null>;

type PageRow = { t: TicketRow; sortValue: string };

/**
 * The first page of the org's tickets in one sort with nothing filtered ("list"), or of a search
 * with nothing else filtered ("search", staff: internal notes searched too): the same selects as
 * the general path in listTickets, built once per process and sent as named prepared statements
 * (db/precompiled.ts). Scoped by org in the query as well as by row-level security.
 */
const PREPARED_PAGES = new Map<string, (tx: Scope["tx"], v: Record<string, unknown>) => Promise<PageRow[]>>();
function preparedPage(sort: ListTickets["sort"], kind: "list" | "search") {
  const name = `beacon_ticket_${kind}_${sort.startsWith("-") ? "desc" : "asc"}_${sort.replace(/^-/, "")}`;
  let page = PREPARED_PAGES.get(name);
  if (!page) {
    const desc = sort.startsWith("-");
    const { expr } = SORT_SQL[(desc ? sort.slice(1) : sort) as SortKey];
    const dir = desc ? sql`desc` : sql`asc`;
    const p = (n: string) => sql.placeholder(n);
    const org = eq(tickets.orgId, p("org"));
    const where =
      kind === "list"
        ? org
        : and(
            org,
            sql`${tickets.id} = any(array${searchPageIds(
              [org],
              {
                inWindow: searchCondition(true, p("org"), p("term"), p("like"), WINDOW_COLS),
                onTickets: searchCondition(true, p("org"), p("term"), p("like"), TICKET_COLS),
              },
              expr,
              desc,
              { take: p("take"), window: p("window"), windowLast: p("windowLast") },
            )})`,
          );
    page = precompiled<PageRow>(name, (db) =>
      db
        .select({ t: ticketColumns, sortValue: sql<string>`(${expr})::text` })
        .from(tickets)
        .where(where)
        .orderBy(sql`${expr} ${dir}`, sql`${tickets.id} ${dir}`)
        .limit(p("take")),
    );
    PREPARED_PAGES.set(name, page);
  }
  return page;
}

/** GET /tickets: keyset-paginated on (sort value, id), stable when rows arrive between pages. */
export async function listTickets(
  scope: Scope,
  q: ListTickets,
  opts: { searchWindow?: number } = {},
): Promise<{ data: AnyTicketView[]; nextCursor: string | null }> {
  // One read of the org's setting serves both the refusal and the customer view of every row.
  const showSla = await customerSeesSla(scope);
  assertCustomerMayQuery(scope.user, q, showSla);
  const view = viewerFor(scope.user, showSla, await customerFieldKeys(scope));
  const desc = q.sort.startsWith("-");
  const key = (desc ? q.sort.slice(1) : q.sort) as SortKey;
  const { expr, cast } = SORT_SQL[key];
  const where = ticketFilters(scope, { ...q, q: undefined }, q.cf ? await loadFieldDefs(scope.tx) : []);
  if (q.cursor) {
    // Bound to the filters and sort it was made with (core/cursor.ts): reused with others it is a 400.
    const c = decodeCursor("tickets", q.cursor, isCursor, q);
    const cmp = desc ? sql`<` : sql`>`;
    where.push(sql`(${expr}, ${tickets.id}) ${cmp} (${c.v}::${sql.raw(cast)}, ${c.id}::uuid)`);
  }
  const dir = desc ? sql`desc` : sql`asc`;
  const window = opts.searchWindow ?? SEARCH_WINDOW;
  const staff = isStaff(scope.user);
  const conds = q.q
    ? [
        eq(tickets.orgId, scope.user.orgId),
        visibleTo(scope.user),
        sql`${tickets.id} = any(array${searchPageIds(
          where,
          {
            inWindow: searchCondition(staff, scope.user.orgId, q.q, likePattern(q.q), WINDOW_COLS),
            onTickets: searchCondition(staff, scope.user.orgId, q.q, likePattern(q.q), TICKET_COLS),
          },
          expr,
          desc,
          { take: q.limit + 1, window, windowLast: window - 1 },
        )})`,
      ]
    : where;
  // The org's own scope only (staff, no filter, no cursor): the list's most common calls, the
  // first page and a plain search, are prepared once per sort (PREPARED_PAGES). Anything else is
  // built for the request.
  const plain = staff && where.length === 1 && !q.cursor;
  const rows =
    plain && !q.q
      ? await preparedPage(q.sort, "list")(scope.tx, { org: scope.user.orgId, take: q.limit + 1 })
      : plain && q.q && opts.searchWindow === undefined
        ? await preparedPage(q.sort, "search")(scope.tx, {
            org: scope.user.orgId,
            take: q.limit + 1,
            term: q.q,
            like: likePattern(q.q),
            window: SEARCH_WINDOW,
            windowLast: SEARCH_WINDOW - 1,
          })
        : await scope.tx
            .select({ t: ticketColumns, sortValue: sql<string>`(${expr})::text` })
            .from(tickets)
            .where(and(...conds))
            .orderBy(sql`${expr} ${dir}`, sql`${tickets.id} ${dir}`)
            .limit(q.limit + 1);
  const more = rows.length > q.limit;
  const pageRows = more ? rows.slice(0, q.limit) : rows;
  const last = pageRows[pageRows.length - 1];
  const now = new Date();
  return {
    data: pageRows.map((r) => view(r.t, now)),
    nextCursor: more && last ? encodeCursor("tickets", { s: q.sort, v: last.sortValue, id: last.t.id }, q) : null,
  };
}
