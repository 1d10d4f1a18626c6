import "server-only";
import { asc, eq, sql } from "drizzle-orm";
import type { Scope } from "../core/scope";
import { notFound } from "../core/errors";
import { automations, triggers } from "../db/schema/automation";
import { recordAudit } from "../audit/record-audit";
import { assertCan } from "../authz/permissions";
import { bumpTriggerVersion } from "./rule-cache";
import { ZTriggerInput, ZAutomationInput, ZRuleOrder, ZRulePatch, type Action, type Conditions } from "./rule-schemas";
import { assertId, checkRule, invalid, parseOr400 } from "./validate-rule";
import { one } from "../core/one";

// Triggers (event rules) and automations (time rules) share one shape and one admin lifecycle.
// Every change is audited; a trigger change bumps the org's rule-set version (rule-cache.ts).

export type RuleKind = "trigger" | "automation";
export type RuleView = {
  id: string;
  name: string;
  position: number;
  active: boolean;
  conditions: Conditions;
  actions: Action[];
  lastError: string | null;
  lastErrorAt: string | null;
  firedCount: number;
  createdAt: string;
  updatedAt: string;
};

const tableOf = (kind: RuleKind) => (kind === "trigger" ? triggers : automations);
type Row = typeof triggers.$inferSelect;

function view(r: Row): RuleView {
  return {
    id: r.id,
    name: r.name,
    position: r.position,
    active: r.active,
    conditions: r.conditions as Conditions,
    actions: r.actions as Action[],
    lastError: r.lastError,
    lastErrorAt: r.lastErrorAt?.toISOString() ?? null,
    firedCount: r.firedCount,
    createdAt: r.createdAt.toISOString(),
    updatedAt: r.updatedAt.toISOString(),
  };
}

async function changed(
  scope: Scope,
  kind: RuleKind,
  action: string,
  id: string,
  data: Record<string, unknown>,
): Promise<void> {
  if (kind === "trigger") await bumpTriggerVersion(scope.tx, scope.user.orgId);
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    { action: `${kind}.${action}`, entityType: kind, entityId: id, data },
  );
}

export async function listRules(scope: Scope, kind: RuleKind): Promise<{ data: RuleView[] }> {
  assertCan(scope.user, "org.admin");
  const t = tableOf(kind);
  const rows = await scope.tx.select().from(t).orderBy(asc(t.position), asc(t.createdAt), asc(t.id));
  return { data: rows.map((r) => view(r as Row)) };
}

export async function getRule(scope: Scope, kind: RuleKind, id: string): Promise<RuleView> {
  assertCan(scope.user, "org.admin");
  assertId(id, kind);
  const t = tableOf(kind);
  const [r] = await scope.tx.select().from(t).where(eq(t.id, id)).limit(1);
  if (!r) throw notFound(kind);
  return view(r as Row);
}

/** A new rule; without a position it goes last. Invalid bodies are a 400 naming every path. */
export async function createRule(scope: Scope, kind: RuleKind, input: unknown): Promise<RuleView> {
  assertCan(scope.user, "org.admin");
  const body = parseOr400(kind === "trigger" ? ZTriggerInput : ZAutomationInput, input);
  await checkRule(scope.tx, kind, body);
  const t = tableOf(kind);
  const position =
    body.position ??
    (await scope.tx.select({ n: sql<number>`coalesce(max(${t.position}) + 1, 0)::int` }).from(t))[0]!.n;
  const r = one(
    await scope.tx
      .insert(t)
      .values({
        orgId: scope.user.orgId,
        name: body.name,
        position,
        active: body.active,
        conditions: body.conditions,
        actions: body.actions,
      })
      .returning(),
  );
  await changed(scope, kind, "created", r.id, { name: body.name, position, active: body.active });
  return view(r as Row);
}

/** Replaces a rule's body (PUT semantics: the editor sends the whole rule); clears its last error. */
export async function updateRule(scope: Scope, kind: RuleKind, id: string, input: unknown): Promise<RuleView> {
  const before = await getRule(scope, kind, id);
  const body = parseOr400(kind === "trigger" ? ZTriggerInput : ZAutomationInput, input);
  await checkRule(scope.tx, kind, body);
  const t = tableOf(kind);
  const [r] = await scope.tx
    .update(t)
    .set({
      name: body.name,
      position: body.position ?? before.position,
      active: body.active,
      conditions: body.conditions,
      actions: body.actions,
      lastError: null,
      lastErrorAt: null,
      updatedAt: sql`now()`,
      // A time rule whose conditions changed looks at every ticket again (its firings still hold per
      // window). A rename, a reorder or a switch off and on keeps its place: the next pass covers
      // the time since its last one anyway.
      ...(kind === "automation" && JSON.stringify(body.conditions) !== JSON.stringify(before.conditions)
        ? { scannedUntil: null }
        : {}),
    })
    .where(eq(t.id, id))
    .returning();
  const fields = (["name", "position", "active", "conditions", "actions"] as const).filter(
    (f) => JSON.stringify(before[f]) !== JSON.stringify(view(r as Row)[f]),
  );
  await changed(scope, kind, "updated", id, { name: body.name, active: body.active, position: r!.position, fields });
  return view(r as Row);
}

/** The API's PATCH: the fields sent replace the rule's, the rest stay; the result is validated as a whole. */
export async function patchRule(scope: Scope, kind: RuleKind, id: string, input: unknown): Promise<RuleView> {
  const before = await getRule(scope, kind, id);
  const patch = parseOr400(ZRulePatch, input);
  const merged = {
    name: before.name,
    position: before.position,
    active: before.active,
    conditions: before.conditions,
    actions: before.actions,
  };
  for (const [k, v] of Object.entries(patch)) if (v !== undefined) (merged as Record<string, unknown>)[k] = v;
  return updateRule(scope, kind, id, merged);
}

/**
 * Sets the order rules run in: `ids` lists every rule of the kind exactly once, first to last
 * (positions become 0, 1, 2…). A list that misses, repeats or invents a rule is a 400 that changes nothing.
 */
export async function reorderRules(scope: Scope, kind: RuleKind, input: unknown): Promise<{ data: RuleView[] }> {
  assertCan(scope.user, "org.admin");
  const { ids } = parseOr400(ZRuleOrder, input);
  const t = tableOf(kind);
  const have = (await scope.tx.select({ id: t.id }).from(t).for("update")).map((r) => r.id);
  const known = new Set(have);
  const issues = ids.flatMap((id, i) =>
    known.has(id)
      ? ids.indexOf(id) === i
        ? []
        : [{ in: "body" as const, path: `ids.${i}`, message: `${id} is listed twice` }]
      : [{ in: "body" as const, path: `ids.${i}`, message: `${kind} ${id} not found` }],
  );
  const missing = have.filter((id) => !ids.includes(id));
  if (missing.length)
    issues.push({ in: "body", path: "ids", message: `every ${kind} must be listed; missing: ${missing.join(", ")}` });
  if (issues.length) throw invalid(issues);
  await scope.tx.execute(sql`update ${t} set position = o.pos - 1, updated_at = now()
    from unnest(${`{${ids.join(",")}}`}::uuid[]) with ordinality as o(id, pos) where ${t.id} = o.id and ${t.position} <> o.pos - 1`);
  if (kind === "trigger") await bumpTriggerVersion(scope.tx, scope.user.orgId);
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    { action: `${kind}.reordered`, entityType: kind, entityId: null, data: { ids } },
  );
  return listRules(scope, kind);
}

/** Validate-only (the rule editor, as the admin types): 200 when the rule could be saved, else the save's 400. */
export async function validateRule(scope: Scope, kind: RuleKind, input: unknown): Promise<{ valid: true }> {
  assertCan(scope.user, "org.admin");
  const body = parseOr400(kind === "trigger" ? ZTriggerInput : ZAutomationInput, input);
  await checkRule(scope.tx, kind, body);
  return { valid: true };
}

export async function deleteRule(scope: Scope, kind: RuleKind, id: string): Promise<void> {
  const before = await getRule(scope, kind, id);
  const t = tableOf(kind);
  await scope.tx.delete(t).where(eq(t.id, id));
  await changed(scope, kind, "deleted", id, { name: before.name });
}
