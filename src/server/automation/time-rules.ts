import "server-only";
import { sql } from "drizzle-orm";
import { z } from "zod";
import { unsafeWithSystem, withTenant, type Tx } from "../db/tenant";
import { databaseMessage } from "../db/pg-error";
import { logger } from "../observability/logger";
import { compileConditions, compileRules, type Anchor, type ChangeFacts } from "./evaluate";
import { ZAction, ZConditions, type Conditions } from "./rule-schemas";
import { runRules, slaBreached } from "./run-rules";
import { queueCustomerMail } from "../email/customer-mail";
import { businessHoursProbe, runContext } from "./run-triggers";
import { isFinal } from "../lifecycle/ticket-lifecycle";
import { fireBatch, type DuePair, type TimeRule } from "./fire-batch";

export type TimeScanResult = { rules: number; tickets: number; fired: number; failed: number };

const BATCH = 200;
const ZStored = z.object({ conditions: ZConditions, actions: z.array(ZAction) });

/** The condition that says when a rule's time comes: its first `hours_since … gte N` in `all`. */
export function scheduleOf(c: Conditions): { anchor: Anchor; hours: number } | null {
  for (const x of c.all) if (x.field === "hours_since" && x.op === "gte") return { anchor: x.anchor, hours: x.value };
  return null;
}

/**
 * One pass of the time rules (the worker's automation-scan job, every minute). Its cost follows
 * the tickets whose time has come, not the tickets stored nor the rules: one system statement reads
 * every org's active rules, one more finds the due (rule, ticket) pairs of all of them at once —
 * for each rule, through the (org, anchor, at) index of ticket_anchors (tickets' (org, updated_at)
 * index for `updated`), only the anchors that crossed the rule's threshold since its last pass, the
 * window (scanned_until − N h, now − N h] — both in one system transaction, and a last one moves
 * the rules' scanned_until to now. A tenant transaction is opened only for orgs with due tickets
 * (one for up to 50 of an org's due pairs, fireDue()), so a pass with nothing due is three
 * statements in two transactions whatever the number of rules, orgs or tickets stored. A rule's first pass (or the first after an
 * edit) catches up on every ticket once.
 * Each ticket is tested when its time comes; a match fires once per ticket and anchor value
 * (automation_firings), so a retried or concurrent pass, or a second worker, never fires twice.
 * An anchor that moves (a new status change, a new reply) opens a new window.
 */
export async function unsafeScanAutomations(now = new Date()): Promise<TimeScanResult> {
  const total: TimeScanResult = { rules: 0, tickets: 0, fired: 0, failed: 0 };
  const rules: Loaded[] = [];
  const invalid: string[] = [];
  // Rules still to page through: all of them on the first round, then only those whose batch was full.
  let pending: Pending[] = [];
  let due: Map<string, DueRow[]> | null;
  try {
    // The rules and the first page of their due pairs in one system transaction (one round of begin,
    // role and commit fewer on every pass, idle ones included).
    due = await unsafeWithSystem(async (tx) => {
      const stored = await tx.execute<StoredRow>(sql`
        select org_id, id, name, conditions, actions, scanned_until::text as scanned_until
        from automations where active order by org_id, position, id`);
      for (const row of stored.rows) {
        total.rules++;
        const rule = parseRule(row);
        if (rule) rules.push(rule);
        else invalid.push(row.id);
      }
      pending = rules.map((rule) => ({ rule, after: null }));
      return pending.length ? duePairs(tx, pending, now) : new Map<string, DueRow[]>();
    });
  } catch (err) {
    // The shared read failed: nothing was fired and no rule moves its scanned_until (the next pass retries).
    passFailed(err);
    total.failed += total.rules;
    return total;
  }
  if (invalid.length) {
    total.failed += invalid.length;
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update automations set last_error = 'stored rule is invalid or has no hours_since gte condition', last_error_at = now()
        where id = any(${sql.param(invalid)}::uuid[])`),
    );
  }
  const done: Loaded[] = [];
  while (pending.length) {
    if (!due) {
      try {
        due = await unsafeWithSystem((tx) => duePairs(tx, pending, now));
      } catch (err) {
        passFailed(err);
        total.failed += pending.length;
        break;
      }
    }
    const next: Pending[] = [];
    const work: Due[] = [];
    for (const p of pending) {
      const rows = due.get(p.rule.id) ?? [];
      for (const d of rows) work.push({ rule: p.rule, d });
      if (rows.length < BATCH) done.push(p.rule);
      else next.push({ rule: p.rule, after: { at: rows.at(-1)!.at, id: rows.at(-1)!.id } });
    }
    total.tickets += work.length;
    const r = await fireDue(work, now);
    total.fired += r.fired;
    total.failed += r.failed;
    pending = next;
    due = null;
  }
  if (done.length) {
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update automations set scanned_until = ${now} where id = any(${sql.param(done.map((r) => r.id))}::uuid[])`,
      ),
    );
  }
  return total;
}

function passFailed(err: unknown): void {
  logger().error(
    { component: "automation", err: err instanceof Error ? err.message : String(err) },
    "time rule pass failed",
  );
}

type Pending = { rule: Loaded; after: { at: string; id: string } | null };
type Due = { rule: Loaded; d: DueRow };
type StoredRow = {
  org_id: string;
  id: string;
  name: string;
  conditions: unknown;
  actions: unknown;
  scanned_until: string | null;
};
type DueRow = { rule_id: string; id: string; at: string; window_key: string };
type Loaded = TimeRule;

function parseRule(row: StoredRow): Loaded | null {
  const parsed = ZStored.safeParse({ conditions: row.conditions, actions: row.actions });
  const schedule = parsed.success ? scheduleOf(parsed.data.conditions) : null;
  if (!parsed.success || !schedule) return null;
  return {
    id: row.id,
    orgId: row.org_id,
    name: row.name,
    ...parsed.data,
    schedule,
    scannedUntil: row.scanned_until ? new Date(row.scanned_until) : null,
  };
}

const NIL_UUID = "00000000-0000-0000-0000-000000000000";

/**
 * The due (rule, ticket) pairs of many rules in one statement: for each rule (a row of the unnest),
 * a lateral read of its window through the index, at most BATCH rows, keyset-paged by (at, id).
 * `at` stays PostgreSQL's text (microseconds) for the keyset: a JS Date would round it and re-read rows.
 * Every bound is a plain comparison with a parameter ('-infinity' and the nil uuid stand for "none"),
 * never coalesce() or an `is null or`: under row-level security only leakproof quals can be index
 * conditions, and PostgreSQL treats a COALESCE as leaky, so with them the window's lower bound was a
 * filter and each pass read all of an org's anchors before the threshold (47,010 index entries for
 * 1 due ticket in a 57k-ticket org), a scan that grew with tickets stored (docs/decisions/048).
 * A pair already fired for its window is left out here, so a pass that reads a window again (a
 * rule's catch-up after an edit, a retried pass) opens no tenant transaction for what it fired
 * before (decision 058). `offset 0` keeps that test a probe of the firings' primary key per due row
 * (org, rule, ticket): as an anti-join the planner read all of a rule's firings for each pass.
 */
async function duePairs(tx: Tx, pending: readonly Pending[], now: Date): Promise<Map<string, DueRow[]>> {
  const col = <T>(f: (p: (typeof pending)[number]) => T) => sql.param(pending.map(f));
  const r = await tx.execute<DueRow>(sql`
      select r.rule_id::text as rule_id, d.id::text as id, d.at::text as at, (extract(epoch from d.at) * 1000000)::bigint::text as window_key
      from unnest(${col((p) => p.rule.id)}::uuid[], ${col((p) => p.rule.orgId)}::uuid[], ${col((p) => p.rule.schedule.anchor)}::text[],
                  ${col((p) => new Date(now.getTime() - p.rule.schedule.hours * 3_600_000).toISOString())}::timestamptz[],
                  ${col((p) => (p.rule.scannedUntil ? new Date(p.rule.scannedUntil.getTime() - p.rule.schedule.hours * 3_600_000).toISOString() : "-infinity"))}::timestamptz[],
                  ${col((p) => p.after?.at ?? "-infinity")}::timestamptz[], ${col((p) => p.after?.id ?? NIL_UUID)}::uuid[])
        as r(rule_id, org_id, anchor, upper_at, lower_at, after_at, after_id)
      cross join lateral (
        select x.id, x.at from (
          select a.ticket_id as id, a.at from ticket_anchors a
          where r.anchor <> 'updated' and a.org_id = r.org_id and a.anchor = r.anchor and a.at <= r.upper_at
            and a.at > r.lower_at and a.at >= r.after_at and (a.at, a.ticket_id) > (r.after_at, r.after_id)
          union all
          select t.id, t.updated_at as at from tickets t
          where r.anchor = 'updated' and t.org_id = r.org_id and t.status <> 'closed' and t.updated_at <= r.upper_at
            and t.updated_at > r.lower_at and t.updated_at >= r.after_at and (t.updated_at, t.id) > (r.after_at, r.after_id)
        ) x
        where not exists (
          select 1 from automation_firings f
          where f.org_id = r.org_id and f.automation_id = r.rule_id and f.ticket_id = x.id
            and f.window_key = (extract(epoch from x.at) * 1000000)::bigint::text offset 0)
        order by x.at, x.id limit ${BATCH}
      ) d
      order by r.rule_id, d.at, d.id`);
  const out = new Map<string, DueRow[]>();
  for (const row of r.rows) {
    const list = out.get(row.rule_id);
    if (list) list.push(row);
    else out.set(row.rule_id, [row]);
  }
  return out;
}

/** Due pairs fired per transaction: bounds how long one pass holds an org's audit lock. */
const PER_TRANSACTION = 50;
/**
 * Orgs fired at once, each on its own connection. Orgs share no rows (tickets, chain, rules), so
 * their transactions never wait for each other; a pass is mostly round trips, which overlap.
 */
const ORGS_AT_ONCE = 4;

/**
 * Fires the due pairs, the pairs of one org in one tenant transaction (up to PER_TRANSACTION
 * each, one after the other), in the order given (rules by position), as a batch (fireBatch: a
 * handful of statements for all of them, not a run per pair); up to ORGS_AT_ONCE orgs at a time.
 * The batch first locks every due ticket it will touch, in id order and skipping tickets a request
 * holds: after that it never waits for a ticket, so it cannot deadlock with a request that holds a
 * ticket and waits for the org's audit lock (which the batch takes and keeps to the commit). A
 * skipped ticket, or every pair of a batch that fails or cannot commit, is retried alone by
 * fireSafely() (automation_firings keeps a retried pair from firing twice), so one failing ticket
 * never holds back the others.
 */
async function fireDue(work: Due[], now: Date): Promise<{ fired: number; failed: number }> {
  const out = { fired: 0, failed: 0 };
  const byOrg = new Map<string, DuePair[]>();
  for (const w of work) {
    const p = { rule: w.rule, ticketId: w.d.id, window: w.d.window_key };
    const list = byOrg.get(w.rule.orgId);
    if (list) list.push(p);
    else byOrg.set(w.rule.orgId, [p]);
  }
  const orgs = [...byOrg];
  const next = async (): Promise<void> => {
    for (let o = orgs.shift(); o; o = orgs.shift()) {
      const r = await fireOrg(o[0], o[1], now);
      out.fired += r.fired;
      out.failed += r.failed;
    }
  };
  await Promise.all(Array.from({ length: Math.min(ORGS_AT_ONCE, orgs.length) }, next));
  return out;
}

async function fireOrg(orgId: string, list: DuePair[], now: Date): Promise<{ fired: number; failed: number }> {
  const out = { fired: 0, failed: 0 };
  for (let i = 0; i < list.length; i += PER_TRANSACTION) {
    const chunk = list.slice(i, i + PER_TRANSACTION);
    let alone: DuePair[];
    try {
      const r = await withTenant(orgId, (tx) => fireBatch(tx, orgId, chunk, now));
      out.fired += r.fired;
      out.failed += r.failed;
      alone = r.skipped;
    } catch (err) {
      logger().warn(
        { component: "automation", orgId, err: err instanceof Error ? err.message : String(err) },
        "time rule batch failed; firing its tickets one by one",
      );
      alone = chunk;
    }
    for (const p of alone) {
      const r = await fireSafely(p, now);
      out.fired += r.fired;
      out.failed += r.failed;
    }
  }
  return out;
}

/**
 * One transaction per ticket, as a request has: its row lock, then the org's audit lock, then
 * commit. Holding several tickets at once while a request holds the audit lock and waits for one
 * of them would deadlock. A failure is logged and recorded on the rule; the pass goes on.
 */
async function fireSafely(p: DuePair, now: Date): Promise<{ fired: number; failed: number }> {
  const { rule } = p;
  try {
    return await withTenant(rule.orgId, (tx) => fireOne(tx, rule.orgId, rule, p.ticketId, p.window, now));
  } catch (err) {
    // The database's own words, not the driver's wrapper (which quotes the whole statement and its parameters).
    const message = databaseMessage(err);
    logger().warn(
      { component: "automation", orgId: rule.orgId, automationId: rule.id, ticketId: p.ticketId, err: message },
      "time rule failed on a ticket",
    );
    await withTenant(rule.orgId, (tx) =>
      tx.execute(
        sql`update automations set last_error = ${message.slice(0, 1000)}, last_error_at = now() where id = ${rule.id}`,
      ),
    ).catch(() => undefined);
    return { fired: 0, failed: 1 };
  }
}

/** Tests one due ticket alone and, on a match not yet recorded for this window, fires the rule on it. */
async function fireOne(
  tx: Tx,
  orgId: string,
  rule: Loaded,
  ticketId: string,
  window: string,
  now: Date,
): Promise<{ fired: number; failed: number }> {
  const none = { fired: 0, failed: 0 };
  const run = await runContext(tx, ticketId, {
    orgId,
    actorId: null,
    actorName: null,
    requestId: null,
    runKey: `${rule.id}:${ticketId}:${window}`,
  });
  if (isFinal(run.ticket.status)) return none;
  const anchors = await tx.execute<{ anchor: string; at: string }>(
    sql`select anchor, at::text as at from ticket_anchors where ticket_id = ${ticketId}`,
  );
  const when = new Map<string, number>(anchors.rows.map((a) => [a.anchor, new Date(a.at).getTime()]));
  when.set("updated", run.ticket.updatedAt.getTime());
  const calendarIds = [...rule.conditions.all, ...rule.conditions.any].flatMap((c) =>
    c.field === "business_hours" ? [c.calendarId] : [],
  );
  const facts: ChangeFacts = {
    event: "updated",
    channel: "web",
    body: null,
    before: null,
    slaBreached: slaBreached(run.ticket, now),
    businessHours: await businessHoursProbe(tx, calendarIds, now),
    hoursSince: (a) => (when.has(a) ? (now.getTime() - when.get(a)!) / 3_600_000 : null),
  };
  if (!compileConditions(rule.conditions)(run.state, facts)) return none;
  const marked = await tx.execute(sql`
    insert into automation_firings (org_id, automation_id, ticket_id, window_key) values (${orgId}, ${rule.id}, ${ticketId}, ${window})
    on conflict do nothing returning 1`);
  if (marked.rows.length === 0) return none;
  const r = await runRules(run, "automation", compileRules([rule]), run.state, facts);
  // A time rule that solves a ticket tells the customer as an agent's solve does (the solve email,
  // decision 040): once per solve, keyed by the version the solve left.
  if (r.ticket.status === "solved" && run.ticket.status !== "solved") {
    await queueCustomerMail(tx, { orgId, ticketId, kind: "solved", key: `v${r.ticket.version}`, actorId: null });
  }
  return { fired: r.fired.length, failed: r.failed.length };
}
