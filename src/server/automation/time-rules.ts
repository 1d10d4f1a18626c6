import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { unsafeWithSystem, withTenant, type Tx } from "../db/tenant";
import { logger } from "../observability/logger";
import { compileConditions, compileRules, type Anchor, type ChangeFacts } from "./evaluate";
import { ZAction, ZConditions, type Conditions } from "./rule-schemas";
import { runRules, slaBreached } from "./run-rules";
import { businessHoursProbe, runContext } from "./run-triggers";

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
 * the tickets whose time has come, not the tickets stored: for each active rule it reads, through
 * the (org, anchor, at) index of ticket_anchors (tickets' (org, updated_at) index for `updated`),
 * only the anchors that crossed the rule's threshold since its last pass — the window
 * (scanned_until − N h, now − N h] — and moves scanned_until to now when done. A rule's first pass
 * (or the first after an edit) catches up on every ticket once.
 * Each ticket is tested when its time comes; a match fires once per ticket and anchor value
 * (automation_firings), so a retried or concurrent pass, or a second worker, never fires twice.
 * An anchor that moves (a new status change, a new reply) opens a new window.
 */
export async function unsafeScanAutomations(now = new Date()): Promise<TimeScanResult> {
  const total: TimeScanResult = { rules: 0, tickets: 0, fired: 0, failed: 0 };
  const active = await unsafeWithSystem((tx) =>
    tx.execute<{ org_id: string; id: string }>(sql`select org_id, id from automations where active order by org_id, position, id`),
  );
  for (const r of active.rows) {
    total.rules++;
    const one = await scanRule(r.org_id, r.id, now).catch((err: unknown) => {
      logger().error({ component: "automation", orgId: r.org_id, automationId: r.id, err: err instanceof Error ? err.message : String(err) }, "time rule pass failed");
      return { tickets: 0, fired: 0, failed: 1 };
    });
    total.tickets += one.tickets;
    total.fired += one.fired;
    total.failed += one.failed;
  }
  return total;
}

type DueRow = { id: string; at: string; window_key: string };
type Loaded = { id: string; name: string; conditions: Conditions; actions: z.infer<typeof ZStored>["actions"]; schedule: { anchor: Anchor; hours: number }; scannedUntil: Date | null };

async function scanRule(orgId: string, id: string, now: Date): Promise<{ tickets: number; fired: number; failed: number }> {
  const rule = await withTenant(orgId, (tx) => loadRule(tx, id));
  if (!rule) return { tickets: 0, fired: 0, failed: 1 };
  const upper = new Date(now.getTime() - rule.schedule.hours * 3_600_000);
  const lower = rule.scannedUntil ? new Date(rule.scannedUntil.getTime() - rule.schedule.hours * 3_600_000) : null;
  const out = { tickets: 0, fired: 0, failed: 0 };
  // `at` stays PostgreSQL's text (microseconds) for the keyset: a JS Date would round it and re-read rows.
  let after: { at: string; id: string } | null = null;
  for (;;) {
    const from: SQL = after ? sql`and (a.at, a.id) > (${after.at}::timestamptz, ${after.id}::uuid)` : lower ? sql`and a.at > ${lower}` : sql``;
    const source =
      rule.schedule.anchor === "updated"
        ? sql`select id, updated_at as at from tickets where org_id = ${orgId} and status <> 'closed'`
        : sql`select ticket_id as id, at from ticket_anchors where org_id = ${orgId} and anchor = ${rule.schedule.anchor}`;
    const due: { rows: DueRow[] } = await withTenant(orgId, (tx) =>
      tx.execute<DueRow>(sql`
        select a.id, a.at::text as at, (extract(epoch from a.at) * 1000000)::bigint::text as window_key
        from (${source}) a where a.at <= ${upper} ${from} order by a.at, a.id limit ${BATCH}`),
    );
    // One transaction per ticket, as a request has: its row lock, then the org's audit lock, then
    // commit. Holding several tickets at once while a request holds the audit lock and waits for
    // one of them would deadlock.
    for (const d of due.rows) {
      out.tickets++;
      try {
        const r = await withTenant(orgId, (tx) => fireOne(tx, orgId, rule, d.id, d.window_key, now));
        out.fired += r.fired;
        out.failed += r.failed;
      } catch (err) {
        out.failed++;
        const message = err instanceof Error ? err.message : String(err);
        logger().warn({ component: "automation", orgId, automationId: id, ticketId: d.id, err: message }, "time rule failed on a ticket");
        await withTenant(orgId, (tx) => tx.execute(sql`update automations set last_error = ${message.slice(0, 1000)}, last_error_at = now() where id = ${id}`));
      }
    }
    if (due.rows.length < BATCH) break;
    const last: DueRow = due.rows.at(-1)!;
    after = { at: last.at, id: last.id };
  }
  await withTenant(orgId, (tx) => tx.execute(sql`update automations set scanned_until = ${now} where id = ${id}`));
  return out;
}

async function loadRule(tx: Tx, id: string): Promise<Loaded | null> {
  const [row] = (await tx.execute<{ name: string; conditions: unknown; actions: unknown; scanned_until: string | null }>(sql`
    select name, conditions, actions, scanned_until::text from automations where id = ${id} and active`)).rows;
  if (!row) return null;
  const parsed = ZStored.safeParse({ conditions: row.conditions, actions: row.actions });
  const schedule = parsed.success ? scheduleOf(parsed.data.conditions) : null;
  if (!parsed.success || !schedule) {
    await tx.execute(sql`update automations set last_error = 'stored rule is invalid or has no hours_since gte condition', last_error_at = now() where id = ${id}`);
    return null;
  }
  return { id, name: row.name, ...parsed.data, schedule, scannedUntil: row.scanned_until ? new Date(row.scanned_until) : null };
}

/** Tests one due ticket and, on a match not yet recorded for this window, fires the rule on it. */
async function fireOne(tx: Tx, orgId: string, rule: Loaded, ticketId: string, window: string, now: Date): Promise<{ fired: number; failed: number }> {
  const none = { fired: 0, failed: 0 };
  const run = await runContext(tx, ticketId, { orgId, actorId: null, actorName: null, requestId: null, runKey: `${rule.id}:${ticketId}:${window}` });
  if (run.ticket.status === "closed") return none;
  const anchors = await tx.execute<{ anchor: string; at: string }>(sql`select anchor, at::text as at from ticket_anchors where ticket_id = ${ticketId}`);
  const when = new Map<string, number>(anchors.rows.map((a) => [a.anchor, new Date(a.at).getTime()]));
  when.set("updated", run.ticket.updatedAt.getTime());
  const calendarIds = [...rule.conditions.all, ...rule.conditions.any].flatMap((c) => (c.field === "business_hours" ? [c.calendarId] : []));
  const facts: ChangeFacts = {
    event: "updated", channel: "web", body: null, before: null,
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
  return { fired: r.fired.length, failed: r.failed.length };
}
