import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import type { Tx } from "../db/tenant";
import { compileRules, type CompiledRule, type RuleSource } from "./evaluate";
import { ZAction, ZConditions } from "./rule-schemas";

export type RuleSet = { version: number; rules: CompiledRule[]; calendarIds: string[] };
/** What a run needs besides the ticket, read in the same statement as the set when the caller has the ticket. */
export type RunExtras = { requester: { id: string; name: string; email: string } | null; orgName: string | null };

const EMPTY: RuleSet = { version: 0, rules: [], calendarIds: [] };
const MAX_ORGS = 5_000;
const g = globalThis as unknown as { __beaconTriggerSets?: Map<string, RuleSet> };
const cache = (g.__beaconTriggerSets ??= new Map());

const ZStored = z.object({ conditions: ZConditions, actions: z.array(ZAction) });

/**
 * An org's active triggers, compiled once per rule-set version: a ticket write costs one indexed
 * read of the version (and nothing more for an org without triggers); the rules are read and
 * compiled again only after a change bumped it. Version and rules come from one statement, and
 * every change writes both in one transaction, so a cached set is never older than its version.
 */
export async function loadTriggerSet(tx: Tx, orgId: string): Promise<RuleSet> {
  return (await loadTriggerSetWith(tx, orgId, null)).set;
}

/**
 * loadTriggerSet, and in the same statement (so a write with triggers pays one round trip for its
 * rules, not two) the requester and org name a run needs, for a caller that already holds the
 * ticket's row. An org without triggers gets an empty set and no extras.
 */
export async function loadTriggerSetWith(
  tx: Tx,
  orgId: string,
  requesterId: string | null,
): Promise<{ set: RuleSet; extras: RunExtras }> {
  const known = cache.get(orgId);
  const extras = requesterId
    ? sql`(select json_build_object('id', u.id, 'name', u.name, 'email', u.email) from users u where u.org_id = v.org_id and u.id = ${requesterId}) as requester,
          (select o.name from orgs o where o.id = v.org_id) as org_name`
    : sql`null::json as requester, null::text as org_name`;
  const r = await tx.execute<{
    version: string;
    rules: RuleSource[] | null;
    requester: RunExtras["requester"];
    org_name: string | null;
  }>(sql`
    select v.version::text as version,
      case when v.version = ${known?.version ?? -1} then null else (
        select coalesce(json_agg(json_build_object('id', t.id, 'name', t.name, 'conditions', t.conditions, 'actions', t.actions)
                        order by t.position, t.created_at, t.id), '[]'::json)
        from triggers t where t.org_id = v.org_id and t.active) end as rules,
      ${extras}
    from automation_versions v where v.org_id = ${orgId}`);
  const row = r.rows[0];
  if (!row) return { set: EMPTY, extras: { requester: null, orgName: null } };
  const more: RunExtras = { requester: row.requester, orgName: row.org_name };
  const version = Number(row.version);
  if (known && known.version === version) return { set: known, extras: more };
  const set = compileSet(version, row.rules ?? []);
  if (cache.size >= MAX_ORGS) cache.delete(cache.keys().next().value!);
  cache.set(orgId, set);
  return { set, extras: more };
}

/** The trigger set this process has compiled for the org, for a reader that asks for the rules only when they changed. */
export function knownTriggerSet(orgId: string): RuleSet | undefined {
  return cache.get(orgId);
}

/**
 * The set of a version read by another statement (the write's org-state read, decision 047):
 * `rules` is null when that statement saw the version this process already has. No version row: no triggers.
 */
export function adoptTriggerSet(orgId: string, version: number | null, rules: RuleSource[] | null): RuleSet {
  if (version === null) return EMPTY;
  const known = cache.get(orgId);
  if (known && known.version === version && rules === null) return known;
  const set = compileSet(version, rules ?? []);
  if (cache.size >= MAX_ORGS) cache.delete(cache.keys().next().value!);
  cache.set(orgId, set);
  return set;
}

/** Compiles stored rules; one that no longer parses becomes a rule that fails (recorded on it), never a failed write. */
export function compileSet(version: number, sources: RuleSource[]): RuleSet {
  const calendarIds = new Set<string>();
  const good: RuleSource[] = [];
  const broken: CompiledRule[] = [];
  for (const s of sources) {
    const p = ZStored.safeParse(s);
    if (!p.success) {
      const message = `stored rule is invalid: ${p.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`;
      broken.push({
        id: s.id,
        name: s.name,
        actions: [],
        test: () => {
          throw new Error(message);
        },
      });
      continue;
    }
    for (const c of [...p.data.conditions.all, ...p.data.conditions.any])
      if (c.field === "business_hours") calendarIds.add(c.calendarId);
    good.push({ ...s, ...p.data });
  }
  const compiled = new Map(compileRules(good).map((c) => [c.id, c]));
  const rules = sources.map((s) => compiled.get(s.id) ?? broken.find((b) => b.id === s.id)!);
  return { version, rules, calendarIds: [...calendarIds] };
}

/** Called in the transaction of every trigger change: the next write recompiles. */
export async function bumpTriggerVersion(tx: Tx, orgId: string): Promise<void> {
  await tx.execute(sql`
    insert into automation_versions (org_id, version) values (${orgId}, 1)
    on conflict (org_id) do update set version = automation_versions.version + 1`);
}
