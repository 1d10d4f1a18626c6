import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { orgs } from "../db/schema/orgs";
import { appendAuditEvents, lockAuditHeadStatement, type AuditInput } from "../audit/record-audit";
import { publishTicketChange } from "../live/publish";
import { queueCustomerMail } from "../email/customer-mail";
import { isFinal } from "../lifecycle/ticket-lifecycle";
import { logger } from "../observability/logger";
import { ticketColumns, type TicketRow } from "../ticket-model/ticket-view";
import {
  applyFieldAction,
  compileConditions,
  diffState,
  type Anchor,
  type ChangeFacts,
  type Test,
  type TicketState,
} from "./evaluate";
import { executeActions, type Effect, type RunContext } from "./execute-actions";
import type { Action, Conditions } from "./rule-schemas";
import { businessHoursProbe } from "./run-triggers";
import { effectSummary, persistState, slaBreached, stateOf } from "./run-rules";

/** An active time rule as the pass loaded it. */
export type TimeRule = {
  id: string;
  orgId: string;
  name: string;
  conditions: Conditions;
  actions: Action[];
  schedule: { anchor: Anchor; hours: number };
  scannedUntil: Date | null;
};

/** A (rule, ticket) pair whose time came, with its window (the anchor value it fires for). */
export type DuePair = { rule: TimeRule; ticketId: string; window: string };

type Context = {
  ticket: TicketRow;
  requester: { id: string; name: string; email: string };
  orgName: string;
  state: TicketState;
  anchors: Record<string, number>;
};

/** Actions whose whole effect is the ticket's tags: a batch of only these queues no job (see markFirings). */
const TAG_ONLY = new Set(["add_tags", "remove_tags"]);

/** Whether a batch of these rules' firings may commit asynchronously: none of them can queue a job. */
export const queuesNothing = (rules: readonly Pick<TimeRule, "actions">[]): boolean =>
  rules.every((r) => r.actions.every((a) => TAG_ONLY.has(a.type)));

/** Field actions change only the state in memory: a rule made of them has nothing to roll back. */
const FIELD_ONLY = new Set(["set_status", "set_priority", "add_tags", "remove_tags"]);

/**
 * Fires one org's due pairs in the caller's tenant transaction with a handful of statements for
 * the whole batch, not a run per pair: the due tickets are locked and read with their requester,
 * org name and anchors in one statement (skipping tickets a request holds: the caller fires those
 * alone), every match is marked in automation_firings in one, the tickets a rule changed only in
 * tags or group are written in one, the audit events are one chain append, the rules' counters one
 * update. A rule with side effects (notes, emails, assignment, webhooks) still runs its actions in
 * a savepoint per ticket, as a trigger does, so a failing one is skipped alone; a status, priority
 * or assignee change goes through persistState per ticket for its SLA re-apply and notifications.
 *
 * Each ticket sees the pairs of its rules in order (rules by position): a ticket due for several
 * rules is handled in waves, one pair per ticket each, re-reading the tickets between waves, so a
 * later rule sees what an earlier one did, as when each pair was its own run. A ticket changed by a
 * time rule runs no triggers (it never did). Any statement that fails aborts the batch: the caller
 * then fires each pair alone, where the failing one is logged and shown on its rule.
 */
export async function fireBatch(
  tx: Tx,
  orgId: string,
  pairs: readonly DuePair[],
  now: Date,
): Promise<{ fired: number; failed: number; skipped: DuePair[] }> {
  const out = { fired: 0, failed: 0, skipped: [] as DuePair[] };
  const ids = [...new Set(pairs.map((p) => p.ticketId))].sort();
  let contexts = await readContexts(tx, orgId, ids, true);
  const waves: DuePair[][] = [];
  const seen = new Map<string, number>();
  for (const p of pairs) {
    if (!contexts.has(p.ticketId)) {
      out.skipped.push(p);
      continue;
    }
    const k = seen.get(p.ticketId) ?? 0;
    seen.set(p.ticketId, k + 1);
    (waves[k] ??= []).push(p);
  }
  const calendarIds = [...new Set(pairs.flatMap((p) => calendarsOf(p.rule.conditions)))];
  const businessHours = await businessHoursProbe(tx, calendarIds, now);
  const tests = new Map<string, Test>();
  for (const [i, wave] of waves.entries()) {
    if (i > 0)
      contexts = await readContexts(
        tx,
        orgId,
        wave.map((p) => p.ticketId),
        false,
      );
    const r = await fireWave(tx, orgId, wave, contexts, { now, businessHours, tests });
    out.fired += r.fired;
    out.failed += r.failed;
  }
  return out;
}

type WaveEnv = {
  now: Date;
  businessHours: (id: string) => boolean;
  tests: Map<string, Test>;
};
type Fired = { pair: DuePair; ctx: Context; after: TicketState; effects: Effect[] };

/** One pair per ticket: test, mark, act, write, audit, count. */
async function fireWave(
  tx: Tx,
  orgId: string,
  wave: readonly DuePair[],
  contexts: Map<string, Context>,
  env: WaveEnv,
): Promise<{ fired: number; failed: number }> {
  const failures: { pair: DuePair; error: string }[] = [];
  const matched: DuePair[] = [];
  for (const p of wave) {
    const ctx = contexts.get(p.ticketId)!;
    if (isFinal(ctx.ticket.status)) continue;
    try {
      if (compiled(env.tests, p.rule)(ctx.state, factsFor(ctx, env))) matched.push(p);
    } catch (err) {
      failures.push({ pair: p, error: err instanceof Error ? err.message : String(err) });
    }
  }
  const marked = await markFirings(tx, orgId, matched);
  const fired: Fired[] = [];
  for (const p of marked) {
    const ctx = contexts.get(p.ticketId)!;
    if (p.rule.actions.every((a) => FIELD_ONLY.has(a.type))) {
      fired.push({ pair: p, ctx, after: p.rule.actions.reduce(applyFieldAction, ctx.state), effects: [] });
      continue;
    }
    try {
      const run = runContextOf(tx, orgId, p, ctx);
      const r = await tx.transaction((sp) => executeActions({ ...run, tx: sp }, p.rule, ctx.state));
      fired.push({ pair: p, ctx, after: r.state, effects: r.effects });
    } catch (err) {
      failures.push({ pair: p, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (fired.length) {
    await writeTickets(tx, orgId, fired);
    await audit(tx, orgId, fired);
  }
  await recordFailures(tx, orgId, failures);
  return { fired: fired.length, failed: failures.length };
}

function compiled(cache: Map<string, Test>, rule: TimeRule): Test {
  let t = cache.get(rule.id);
  if (!t) cache.set(rule.id, (t = compileConditions(rule.conditions)));
  return t;
}

function calendarsOf(c: Conditions): string[] {
  return [...c.all, ...c.any].flatMap((x) => (x.field === "business_hours" ? [x.calendarId] : []));
}

function factsFor(ctx: Context, env: WaveEnv): ChangeFacts {
  const now = env.now.getTime();
  return {
    event: "updated",
    channel: "web",
    body: null,
    before: null,
    slaBreached: slaBreached(ctx.ticket, env.now),
    businessHours: env.businessHours,
    hoursSince: (a) => {
      const at = a === "updated" ? ctx.ticket.updatedAt.getTime() : ctx.anchors[a];
      return at === undefined ? null : (now - at) / 3_600_000;
    },
  };
}

function runContextOf(tx: Tx, orgId: string, p: DuePair, ctx: Context): RunContext {
  return {
    tx,
    orgId,
    actorId: null,
    actorName: null,
    requestId: null,
    ticket: ctx.ticket,
    requester: ctx.requester,
    orgName: ctx.orgName,
    runKey: `${p.rule.id}:${p.ticketId}:${p.window}`,
  };
}

/**
 * The tickets (locked on the first read, in id order, skipping any a request holds), each with its
 * requester, the org's name and its anchors (epoch milliseconds, as a Date would hold them).
 */
async function readContexts(tx: Tx, orgId: string, ids: readonly string[], lock: boolean) {
  const q = tx
    .select({
      ticket: ticketColumns,
      requester: { id: users.id, name: users.name, email: users.email },
      orgName: orgs.name,
      anchors: sql<Record<string, number>>`(
        select coalesce(jsonb_object_agg(a.anchor, floor(extract(epoch from a.at) * 1000)), '{}'::jsonb)
        from ticket_anchors a where a.org_id = ${tickets.orgId} and a.ticket_id = ${tickets.id})`,
    })
    .from(tickets)
    .innerJoin(users, and(eq(users.orgId, tickets.orgId), eq(users.id, tickets.requesterId)))
    .innerJoin(orgs, eq(orgs.id, tickets.orgId))
    .where(and(eq(tickets.orgId, orgId), inArray(tickets.id, [...ids])))
    .orderBy(tickets.id);
  const rows = lock ? await q.for("update", { of: tickets, skipLocked: true }) : await q;
  const out = new Map<string, Context>();
  for (const r of rows)
    out.set(r.ticket.id, {
      ticket: r.ticket,
      requester: r.requester,
      orgName: r.orgName,
      state: stateOf(r.ticket, r.requester.email),
      anchors: Object.fromEntries(Object.entries(r.anchors).map(([k, v]) => [k, Number(v)])),
    });
  return out;
}

/**
 * Marks the matches as fired for their windows in one statement; those already marked (by a
 * retried or concurrent pass) drop out. The same statement takes the org's audit-chain lock, before
 * any action that may lock something else (a group's row) and before persistState's SLA work: the
 * order every ticket write takes them in (decision 036), ticket rows (held), chain, the rest.
 * When the batch's rules only change tags (so it queues no job), it also makes the transaction's
 * commit asynchronous (no wait for the WAL flush): the pass's last
 * statement, moving the rules' scanned_until, commits synchronously and so flushes every batch
 * before it; a crash that loses a batch loses its firing marks with it and the window, not yet
 * moved, is read again by the next pass (decision 058).
 */
async function markFirings(tx: Tx, orgId: string, matched: readonly DuePair[]): Promise<DuePair[]> {
  if (matched.length === 0) return [];
  const col = (f: (p: DuePair) => string) => sql.param(matched.map(f));
  // Only a batch that queues nothing may commit asynchronously: a job queued by a batch that a
  // crash then loses (an email, a webhook) could be sent, and sent again when the window is read
  // again. Tag changes queue nothing; any other action may.
  const quiet = queuesNothing(matched.map((p) => p.rule));
  const r = await tx.execute<{ automation_id: string; ticket_id: string; window_key: string }>(sql`
    with chain_lock as (${lockAuditHeadStatement(orgId)}),
      durability as (select set_config('synchronous_commit', ${quiet ? "off" : "on"}, true) as v),
      m as (
        insert into automation_firings (org_id, automation_id, ticket_id, window_key)
        select ${orgId}::uuid, m.automation_id, m.ticket_id, m.window_key
        from unnest(${col((p) => p.rule.id)}::uuid[], ${col((p) => p.ticketId)}::uuid[], ${col((p) => p.window)}::text[]) as m(automation_id, ticket_id, window_key)
        on conflict do nothing
        returning automation_id, ticket_id, window_key)
    select m.automation_id::text, m.ticket_id::text, m.window_key::text from m, durability`);
  const won = new Set(r.rows.map((x) => `${x.automation_id}:${x.ticket_id}:${x.window_key}`));
  return matched.filter((p) => won.has(`${p.rule.id}:${p.ticketId}:${p.window}`));
}

/** A change with consequences beyond the row (SLA, closed_at, the new assignee's notification): persistState's. */
const needsPersist = (diff: Record<string, unknown>) => "status" in diff || "priority" in diff || "assigneeId" in diff;

/**
 * Writes what the wave changed, and counts the firings on their rules: a change of tags or group only, for all such tickets in one
 * statement (version bumped, as PATCH does); a status, priority or assignee change through
 * persistState per ticket (its SLA re-apply, closed_at, the assignee's notification), and a solve
 * tells the customer as an agent's solve does (decision 040), once per solve, keyed by the version.
 */
async function writeTickets(tx: Tx, orgId: string, fired: readonly Fired[]): Promise<void> {
  const plain: Fired[] = [];
  for (const f of fired) {
    const diff = diffState(f.ctx.state, f.after);
    if (Object.keys(diff).length === 0) continue;
    if (!needsPersist(diff)) {
      plain.push(f);
      continue;
    }
    const updated = await persistState(runContextOf(tx, orgId, f.pair, f.ctx), f.ctx.state, f.after);
    if (updated.status === "solved" && f.ctx.ticket.status !== "solved")
      await queueCustomerMail(tx, {
        orgId,
        ticketId: f.ctx.ticket.id,
        kind: "solved",
        key: `v${updated.version}`,
        actorId: null,
      });
  }
  // The rules' counters in the same statement, after the chain's lock as a request's triggers take theirs.
  const rows = plain.map((f) => ({ id: f.ctx.ticket.id, tags: f.after.tags, group_id: f.after.groupId }));
  await tx.execute(sql`
    with written as (
      update tickets t set tags = v.tags, group_id = v.group_id, updated_at = ${new Date()}, version = t.version + 1
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as v(id uuid, tags text[], group_id uuid)
      where t.org_id = ${orgId}::uuid and t.id = v.id)
    update automations a set fired_count = a.fired_count + c.n
    from (select id, count(*)::int as n from unnest(${sql.param(fired.map((f) => f.pair.rule.id))}::uuid[]) id group by id) c
    where a.id = c.id`);
}

/**
 * One audit event per firing, on its ticket (the history shows which rule changed what), appended
 * to the chain in one statement; open pages hear of each once the transaction commits.
 */
async function audit(tx: Tx, orgId: string, fired: readonly Fired[]): Promise<void> {
  const actor = { orgId, actorId: null, requestId: null };
  const inputs: AuditInput[] = fired.map((f) => {
    const changes = diffState(f.ctx.state, f.after);
    return {
      // A time rule that closes a ticket is an auto-close, under the name the history has always used (decision 042).
      action: changes.status?.to === "closed" ? "ticket.auto_closed" : "ticket.automation",
      entityType: "ticket",
      entityId: f.ctx.ticket.id,
      data: {
        kind: "automation",
        ruleId: f.pair.rule.id,
        ruleName: f.pair.rule.name,
        changes,
        effects: f.effects.map(effectSummary),
      },
    };
  });
  // markFirings took the chain's lock.
  await appendAuditEvents(tx, actor, inputs, { headLocked: true });
  for (const e of inputs) publishTicketChange(tx, actor, e.entityId!, e.action, e.data);
}

/** A rule that failed on a ticket is skipped there, logged and shown on the rule (last_error); the pass goes on. */
async function recordFailures(tx: Tx, orgId: string, failures: readonly { pair: DuePair; error: string }[]) {
  if (failures.length === 0) return;
  const last = new Map<string, string>();
  for (const f of failures) {
    logger().warn(
      { component: "automation", orgId, automationId: f.pair.rule.id, ticketId: f.pair.ticketId, err: f.error },
      "automation rule failed and was skipped",
    );
    last.set(f.pair.rule.id, f.error.slice(0, 1000));
  }
  await tx.execute(sql`
    update automations a set last_error = e.error, last_error_at = now()
    from unnest(${sql.param([...last.keys()])}::uuid[], ${sql.param([...last.values()])}::text[]) as e(id, error)
    where a.id = e.id`);
}
