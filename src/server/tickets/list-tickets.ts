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
import { customerFieldKeys, customerSeesSla, ticketColumns, viewerFor } from "./ticket-view";
import { customFieldConditions, loadFieldDefs, type FieldDef } from "../fields/custom-values";

type Cursor = { s: string; v: string; id: string };
const isCursor = (v: unknown): v is Cursor =>
  typeof v === "object" && v !== null && typeof (v as Cursor).s === "string" && typeof (v as Cursor).v === "string" && typeof (v as Cursor).id === "string";

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
  if (q.q) where.push(searchCondition(scope, q.q));
  if (q.sla) where.push(slaCondition(q.sla === "breaching" ? sql`now() + interval '2 hours'` : sql`now()`));
  if (q.cf) where.push(...customFieldConditions(scope.user, q.cf, fieldDefs));
  return where.filter((w): w is SQL => w !== undefined);
}

/** A running metric (not fulfilled, resolution not paused, ticket not solved/closed) due before `before`. */
function slaCondition(before: SQL): SQL {
  return sql`(${tickets.status} not in ('solved', 'closed') and (
    (${tickets.firstResponseAt} is null and ${tickets.firstResponseDue} < ${before})
    or (${tickets.resolvedAt} is null and ${tickets.slaPausedAt} is null and ${tickets.resolveDue} < ${before})
    or (${tickets.nextResponseDue} < ${before})))`;
}

/**
 * Full text over the subject and every comment the caller may see, plus partial subject matches
 * (pg_trgm). tickets.search_vector holds the subject and public comments only; internal notes
 * are searched through their own vectors, and only for staff.
 */
function searchCondition(scope: { user: Pick<Scope["user"], "userId" | "role" | "orgId"> }, text: string): SQL {
  const query = sql`websearch_to_tsquery('english', ${text})`;
  const like = `%${text.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
  // Notes are matched once for the whole query (an array of ticket ids), not re-searched per
  // candidate ticket (docs/decisions/008).
  const internal = isStaff(scope.user)
    ? sql` or ${tickets.id} = any(array(select c.ticket_id from comments c where c.org_id = ${scope.user.orgId} and c.internal and c.search_vector @@ ${query}))`
    : sql``;
  return sql`(${tickets.searchVector} @@ ${query} or ${tickets.subject} ilike ${like}${internal})`;
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
  throw new AppError("forbidden", `customers may not filter or sort tickets by ${fields.join(", ")}: staff-only fields`, {
    reason: "staff_only_filter",
    fields,
  });
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

/** GET /tickets: keyset-paginated on (sort value, id), stable when rows arrive between pages. */
export async function listTickets(scope: Scope, q: ListTickets): Promise<{ data: AnyTicketView[]; nextCursor: string | null }> {
  // One read of the org's setting serves both the refusal and the customer view of every row.
  const showSla = await customerSeesSla(scope);
  assertCustomerMayQuery(scope.user, q, showSla);
  const view = viewerFor(scope.user, showSla, await customerFieldKeys(scope));
  const desc = q.sort.startsWith("-");
  const key = (desc ? q.sort.slice(1) : q.sort) as SortKey;
  const { expr, cast } = SORT_SQL[key];
  const where = ticketFilters(scope, q, q.cf ? await loadFieldDefs(scope.tx) : []);
  if (q.cursor) {
    // Bound to the filters and sort it was made with (core/cursor.ts): reused with others it is a 400.
    const c = decodeCursor("tickets", q.cursor, isCursor, q);
    const cmp = desc ? sql`<` : sql`>`;
    where.push(sql`(${expr}, ${tickets.id}) ${cmp} (${c.v}::${sql.raw(cast)}, ${c.id}::uuid)`);
  }
  const dir = desc ? sql`desc` : sql`asc`;
  const rows = await scope.tx
    .select({ t: ticketColumns, sortValue: sql<string>`(${expr})::text` })
    .from(tickets)
    .where(and(...where))
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
