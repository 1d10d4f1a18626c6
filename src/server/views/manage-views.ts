import "server-only";
import { and, asc, eq, inArray, or, sql, type SQL } from "drizzle-orm";
import type { Scope } from "../core/scope";
import { AppError, notFound } from "../core/errors";
import { assertVersion } from "../core/versions";
import { groupMembers, groups } from "../db/schema/automation";
import { ticketViews } from "../db/schema/workspace";
import { recordAudit } from "../audit/record-audit";
import { auditActor } from "../authz/actor";
import { assertCan, can } from "../authz/permissions";
import { customFieldConditions, loadFieldDefs } from "../fields/custom-values";
import { ZListTickets, type ListTickets } from "../tickets/schemas";
import { STAFF_VIEWS, viewCounts } from "../tickets/view-counts";
import { DEFAULT_COLUMNS, type ViewInput, type ViewPatch, type ViewView } from "./schemas";
import { one } from "../core/one";

// Saved views (SPEC §13, issue 14 item 2, decision 050): a name, GET /tickets filters, columns and
// sort, for one agent, the org or a group. The built-in views are rows too (builtin_key), made the
// first time an org's views are listed, so an admin can reorder and hide them like any shared view.

type Row = typeof ticketViews.$inferSelect;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const BUILTIN_SORT: Record<string, string> = { breaching: "resolveDue" };

/** A parsed filter set back in its query-string form (status lists comma-joined). */
function rawFilters(f: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(f)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(",") : String(v);
  return out;
}

/** The view's filters as GET /tickets parses them (stored filters were checked when saved). */
export function parsedFilters(filters: Record<string, string>): Omit<ListTickets, "limit" | "cursor" | "sort"> {
  const { limit: _l, cursor: _c, sort: _s, ...rest } = ZListTickets.parse(filters);
  return rest;
}

const toView = (r: Row, count?: number): ViewView => ({
  id: r.id,
  name: r.name,
  sharing: r.sharing,
  ownerId: r.ownerId,
  groupId: r.groupId,
  builtinKey: r.builtinKey,
  filters: r.filters,
  columns: r.columns,
  sort: r.sort,
  position: r.position,
  hidden: r.hidden,
  ...(count === undefined ? {} : { count }),
  updatedAt: r.updatedAt.toISOString(),
});

const audit = (scope: Scope, action: string, id: string, data: Record<string, unknown>) =>
  recordAudit(scope.tx, auditActor(scope), { action, entityType: "view", entityId: id, data });

/** The built-in views as shared rows, once per org (a concurrent first list inserts nothing twice). */
async function ensureBuiltins(scope: Scope): Promise<void> {
  const have = await scope.tx
    .select({ key: ticketViews.builtinKey })
    .from(ticketViews)
    .where(sql`${ticketViews.builtinKey} is not null`);
  if (have.length >= STAFF_VIEWS.length) return;
  await scope.tx
    .insert(ticketViews)
    .values(
      STAFF_VIEWS.map((v, i) => ({
        orgId: scope.user.orgId,
        name: v.label,
        sharing: "org" as const,
        builtinKey: v.key,
        filters: rawFilters(v.filters),
        columns: DEFAULT_COLUMNS,
        sort: BUILTIN_SORT[v.key] ?? "-updatedAt",
        position: i,
      })),
    )
    .onConflictDoNothing({
      target: [ticketViews.orgId, ticketViews.builtinKey],
      where: sql`${ticketViews.builtinKey} is not null`,
    });
}

/** Which views the caller sees: their own, the org's, their groups' (admins: every shared one, hidden ones too). */
async function visibleWhere(scope: Scope): Promise<SQL> {
  const mine = eq(ticketViews.ownerId, scope.user.userId);
  if (can(scope.user, "org.admin")) return or(mine, inArray(ticketViews.sharing, ["org", "group"]))!;
  const myGroups = scope.tx
    .select({ id: groupMembers.groupId })
    .from(groupMembers)
    .where(eq(groupMembers.userId, scope.user.userId));
  const shared = or(
    eq(ticketViews.sharing, "org"),
    and(eq(ticketViews.sharing, "group"), inArray(ticketViews.groupId, myGroups)),
  );
  return or(mine, and(shared, eq(ticketViews.hidden, false)))!;
}

/** The caller's views in sidebar order, each with its (capped) count of matching tickets. */
export async function listViews(scope: Scope, opts: { counts?: boolean } = {}): Promise<{ data: ViewView[] }> {
  assertCan(scope.user, "users.list");
  await ensureBuiltins(scope);
  const rows = await scope.tx
    .select()
    .from(ticketViews)
    .where(and(eq(ticketViews.orgId, scope.user.orgId), await visibleWhere(scope)))
    .orderBy(asc(ticketViews.position), asc(sql`lower(${ticketViews.name})`), asc(ticketViews.id));
  if (opts.counts === false) return { data: rows.map((r) => toView(r)) };
  const usable = rows.flatMap((r) => {
    try {
      return [{ key: r.id, filters: parsedFilters(r.filters) }];
    } catch {
      return []; // a filter that no longer parses (a field deleted since) shows no count
    }
  });
  const counts: Record<string, number> = {};
  for (const v of usable) {
    try {
      Object.assign(counts, await viewCounts(scope, [v]));
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
    }
  }
  return { data: rows.map((r) => toView(r, counts[r.id])) };
}

async function loadView(scope: Scope, id: string, forUpdate = false): Promise<Row> {
  assertCan(scope.user, "users.list");
  if (!UUID.test(id)) throw notFound("view");
  const q = scope.tx
    .select()
    .from(ticketViews)
    .where(and(eq(ticketViews.orgId, scope.user.orgId), eq(ticketViews.id, id), await visibleWhere(scope)))
    .limit(1);
  const [r] = forUpdate ? await q.for("update") : await q;
  if (!r) throw notFound("view");
  return r;
}

export async function getVersionedView(scope: Scope, id: string): Promise<{ view: ViewView; version: number }> {
  const r = await loadView(scope, id);
  return { view: toView(r), version: r.version };
}

/** Filters must be what GET /tickets accepts (the same schema, and custom fields of this org). */
async function checkFilters(scope: Scope, filters: Record<string, string>): Promise<void> {
  const issues: { in: "body"; path: string; message: string }[] = [];
  for (const k of ["limit", "cursor", "sort"])
    if (k in filters)
      issues.push({ in: "body", path: `filters.${k}`, message: "is not a filter (sort is the view's own field)" });
  const r = ZListTickets.safeParse(filters);
  if (!r.success)
    issues.push(
      ...r.error.issues.map((i) => ({ in: "body" as const, path: `filters.${i.path.join(".")}`, message: i.message })),
    );
  if (issues.length)
    throw new AppError("validation_failed", issues.map((i) => `${i.path}: ${i.message}`).join("; "), { issues });
  if (r.data?.cf) {
    try {
      customFieldConditions(scope.user, r.data.cf, await loadFieldDefs(scope.tx));
    } catch (err) {
      if (err instanceof AppError && err.code === "validation_failed") {
        const inner = (err.details as { issues: { path: string; message: string }[] }).issues;
        throw new AppError("validation_failed", "invalid filters", {
          issues: inner.map((i) => ({ in: "body", path: `filters.${i.path}`, message: i.message })),
        });
      }
      throw err;
    }
  }
}

function assertMayManage(scope: Scope, sharing: Row["sharing"], ownerId: string | null): void {
  if (sharing === "personal") {
    if (ownerId !== scope.user.userId) throw notFound("view");
    return;
  }
  assertCan(scope.user, "org.admin", undefined, "only admins manage shared views");
}

export async function createView(scope: Scope, input: ViewInput): Promise<ViewView> {
  assertCan(scope.user, "users.list");
  assertMayManage(scope, input.sharing, input.sharing === "personal" ? scope.user.userId : null);
  if (input.groupId) {
    const [g] = await scope.tx.select({ id: groups.id }).from(groups).where(eq(groups.id, input.groupId)).limit(1);
    if (!g)
      throw new AppError("validation_failed", "groupId: must be an agent group of this organization", {
        issues: [{ in: "body", path: "groupId", message: "must be an agent group of this organization" }],
      });
  }
  await checkFilters(scope, input.filters);
  const r = one(
    await scope.tx
      .insert(ticketViews)
      .values({
        orgId: scope.user.orgId,
        name: input.name,
        sharing: input.sharing,
        ownerId: input.sharing === "personal" ? scope.user.userId : null,
        groupId: input.groupId ?? null,
        filters: input.filters,
        columns: input.columns ?? DEFAULT_COLUMNS,
        sort: input.sort ?? "-updatedAt",
        position: input.position ?? 1000,
      })
      .returning(),
  );
  await audit(scope, "view.created", r.id, { name: r.name, sharing: r.sharing });
  return toView(r);
}

export async function updateVersionedView(
  scope: Scope,
  id: string,
  patch: ViewPatch,
  ifVersion?: readonly number[],
): Promise<{ view: ViewView; version: number }> {
  const r = await loadView(scope, id, true);
  assertMayManage(scope, r.sharing, r.ownerId);
  assertVersion("view", r.version, ifVersion);
  if (patch.filters) await checkFilters(scope, patch.filters);
  const [u] = await scope.tx
    .update(ticketViews)
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.filters ? { filters: patch.filters } : {}),
      ...(patch.columns ? { columns: patch.columns } : {}),
      ...(patch.sort ? { sort: patch.sort } : {}),
      ...(patch.hidden !== undefined ? { hidden: patch.hidden } : {}),
      updatedAt: sql`now()`,
    })
    .where(and(eq(ticketViews.orgId, scope.user.orgId), eq(ticketViews.id, id)))
    .returning();
  await audit(scope, "view.updated", id, { changes: patch });
  return { view: toView(u!), version: u!.version };
}

export async function deleteView(scope: Scope, id: string): Promise<void> {
  const r = await loadView(scope, id, true);
  assertMayManage(scope, r.sharing, r.ownerId);
  if (r.builtinKey)
    throw new AppError("conflict", "built-in views cannot be deleted; hide them instead (PATCH {hidden: true})");
  await scope.tx.delete(ticketViews).where(and(eq(ticketViews.orgId, scope.user.orgId), eq(ticketViews.id, id)));
  await audit(scope, "view.deleted", id, { name: r.name });
}

/** Admins order the shared views: ids lists every shared view exactly once, first to last. */
export async function reorderViews(scope: Scope, ids: readonly string[]): Promise<{ data: ViewView[] }> {
  assertCan(scope.user, "org.admin");
  await ensureBuiltins(scope);
  const shared = await scope.tx
    .select({ id: ticketViews.id })
    .from(ticketViews)
    .where(inArray(ticketViews.sharing, ["org", "group"]))
    .for("update");
  const want = new Set(shared.map((s) => s.id));
  if (ids.length !== want.size || new Set(ids).size !== ids.length || ids.some((id) => !want.has(id))) {
    throw new AppError("validation_failed", "ids must list every shared view exactly once", {
      issues: [{ in: "body", path: "ids", message: "must list every shared view exactly once" }],
    });
  }
  for (const [i, id] of ids.entries())
    await scope.tx.update(ticketViews).set({ position: i }).where(eq(ticketViews.id, id));
  await audit(scope, "view.reordered", ids[0]!, { ids });
  return listViews(scope, { counts: false });
}
