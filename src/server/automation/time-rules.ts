import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
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
    let after: { at: string; id: string } | null = null;
    for (;;) {
      const batch: BatchResult = await withTenant(r.org_id, (tx) => scanBatch(tx, r.org_id, r.id, now, after)).catch((err: unknown) => {
        logger().error({ component: "automation", orgId: r.org_id, automationId: r.id, err: err instanceof Error ? err.message : String(err) }, "time rule pass failed");
        return { done: true, tickets: 0, fired: 0, failed: 0, last: null, skipped: true };
      });
      total.tickets += batch.tickets;
      total.fired += batch.fired;
      total.failed += batch.failed;
      if (batch.skipped) break;
      if (batch.done) {
        await withTenant(r.org_id, (tx) => tx.execute(sql`update automations set scanned_until = ${now} where id = ${r.id}`));
        break;
      }
      after = batch.last;
    }
  }
  return total;
}

// `at` stays PostgreSQL's text (microseconds) for the keyset: a JS Date would round it and re-read rows.
type BatchResult = { done: boolean; skipped?: boolean; tickets: number; fired: number; failed: number; last: { at: string; id: string } | null };

async function scanBatch(tx: Tx, orgId: string, id: string, now: Date, after: { at: string; id: string } | null): Promise<BatchResult> {
  // The rule row is held for the batch: a second worker skips it rather than racing (firings would
  // keep it right anyway).
  const rule = await tx.execute<{ name: string; conditions: unknown; actions: unknown; scanned_until: string | null }>(sql`
    select name, conditions, actions, scanned_until::text from automations where id = ${id} and active for update skip locked`);
  const row = rule.rows[0];
  if (!row) return { done: false, skipped: true, tickets: 0, fired: 0, failed: 0, last: null };
  const parsed = ZStored.safeParse({ conditions: row.conditions, actions: row.actions });
  const schedule = parsed.success ? scheduleOf(parsed.data.conditions) : null;
  if (!parsed.success || !schedule) {
    await tx.execute(sql`update automations set last_error = 'stored rule is invalid or has no hours_since gte condition', last_error_at = now() where id = ${id}`);
    return { done: false, skipped: true, tickets: 0, fired: 0, failed: 1, last: null };
  }
  const upper = new Date(now.getTime() - schedule.hours * 3_600_000);
  const lower = row.scanned_until ? new Date(new Date(row.scanned_until).getTime() - schedule.hours * 3_600_000) : null;
  const from = after ? sql`and (a.at, a.id) > (${after.at}::timestamptz, ${after.id}::uuid)` : lower ? sql`and a.at > ${lower}` : sql``;
  const due = await tx.execute<{ id: string; at: string; window_key: string }>(
    schedule.anchor === "updated"
      ? sql`select a.id, a.at::text as at, (extract(epoch from a.at) * 1000000)::bigint::text as window_key from (select id, updated_at as at from tickets where org_id = ${orgId} and status <> 'closed') a
            where a.at <= ${upper} ${from} order by a.at, a.id limit ${BATCH}`
      : sql`select a.id, a.at::text as at, (extract(epoch from a.at) * 1000000)::bigint::text as window_key from (select ticket_id as id, at from ticket_anchors where org_id = ${orgId} and anchor = ${schedule.anchor}) a
            where a.at <= ${upper} ${from} order by a.at, a.id limit ${BATCH}`,
  );
  const compiled = compileRules([{ id, name: row.name, ...parsed.data }]);
  const test = compileConditions(parsed.data.conditions);
  const calendarIds = [...parsed.data.conditions.all, ...parsed.data.conditions.any].flatMap((c) => (c.field === "business_hours" ? [c.calendarId] : []));
  const businessHours = await businessHoursProbe(tx, calendarIds, now);
  let fired = 0;
  let failed = 0;
  for (const d of due.rows) {
    const window = d.window_key;
    try {
      await tx.transaction(async (sp) => {
        const run = await runContext(sp, d.id, { orgId, actorId: null, actorName: null, requestId: null, runKey: `${id}:${d.id}:${window}` });
        if (run.ticket.status === "closed") return;
        const anchors = await sp.execute<{ anchor: string; at: string }>(sql`select anchor, at::text as at from ticket_anchors where ticket_id = ${d.id}`);
        const when = new Map<string, number>(anchors.rows.map((a) => [a.anchor, new Date(a.at).getTime()]));
        when.set("updated", run.ticket.updatedAt.getTime());
        const facts: ChangeFacts = {
          event: "updated", channel: "web", body: null, before: null,
          slaBreached: slaBreached(run.ticket, now), businessHours,
          hoursSince: (a) => (when.has(a) ? (now.getTime() - when.get(a)!) / 3_600_000 : null),
        };
        if (!test(run.state, facts)) return;
        const marked = await sp.execute(sql`
          insert into automation_firings (org_id, automation_id, ticket_id, window_key) values (${orgId}, ${id}, ${d.id}, ${window})
          on conflict do nothing returning 1`);
        if (marked.rows.length === 0) return;
        const r = await runRules(run, "automation", compiled, run.state, facts);
        fired += r.fired.length;
        failed += r.failed.length;
      });
    } catch (err) {
      failed++;
      const message = err instanceof Error ? err.message : String(err);
      logger().warn({ component: "automation", orgId, automationId: id, ticketId: d.id, runId: randomUUID(), err: message }, "time rule failed on a ticket");
      await tx.execute(sql`update automations set last_error = ${message.slice(0, 1000)}, last_error_at = now() where id = ${id}`);
    }
  }
  const lastRow = due.rows.at(-1);
  return { done: due.rows.length < BATCH, tickets: due.rows.length, fired, failed, last: lastRow ? { at: lastRow.at, id: lastRow.id } : null };
}
