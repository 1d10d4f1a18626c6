import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { unsafeWithSystem, type Tx } from "../db/tenant";
import { slaEvents } from "../db/schema/sla";
import { enqueueMany } from "../jobs/enqueue";
import type { slaMetric } from "../db/schema/enums";
import { QUEUES } from "../jobs/queues";
import type { EventSnapshot } from "../jobs/event-snapshot";
import { dueEvent, nextCheckAt, runningMetrics, type SlaFieldsForCheck } from "./next-check";

export type ScanResult = { tickets: number; warnings: number; breaches: number; batches: number };

type SlaMetric = (typeof slaMetric.enumValues)[number];
type Row = SlaFieldsForCheck & { orgId: string; id: string; leadMinutes: number | null };

const BATCH = 500;

/**
 * One SLA scan pass over every org (the documented cross-org job path). It reads only the rows of
 * sla_checks whose next_check_at has come (decision 047: a narrow table with one index, so moving a
 * ticket's next check writes a small row, not a wide ticket row and its twelve indexes), so its
 * cost follows tickets due, not tickets stored. For each running metric inside its warning window or past due it records a warn/breach
 * SlaEvent — once: the unique index makes a second scanner's insert a no-op — and enqueues its
 * notification in the same transaction. Rows are claimed with SKIP LOCKED, so scanners in several
 * workers split the work instead of repeating it.
 */
export async function unsafeScanSlas(now = new Date()): Promise<ScanResult> {
  const total: ScanResult = { tickets: 0, warnings: 0, breaches: 0, batches: 0 };
  for (;;) {
    const r = await unsafeWithSystem((tx) => scanBatch(tx, now));
    total.tickets += r.tickets;
    total.warnings += r.warnings;
    total.breaches += r.breaches;
    total.batches++;
    if (r.tickets < BATCH) return total;
  }
}

async function scanBatch(tx: Tx, now: Date): Promise<Omit<ScanResult, "batches">> {
  const res = await tx.execute<{
    org_id: string;
    id: string;
    status: string;
    first_response_due: string | null;
    first_response_at: string | null;
    resolve_due: string | null;
    resolved_at: string | null;
    sla_paused_at: string | null;
    next_response_due: string | null;
    lead: number | null;
    snapshot: EventSnapshot["ticket"];
  }>(sql`
    select t.org_id, t.id, t.status, t.first_response_due, t.first_response_at, t.resolve_due, t.resolved_at,
           t.sla_paused_at, t.next_response_due, (o.settings->>'slaWarningMinutes')::int as lead,
           -- The webhook snapshot (decision 043) read with the claim, under the same row lock, not by a second statement.
           json_build_object('id', t.id, 'number', t.number, 'subject', t.subject, 'status', t.status, 'priority', t.priority,
                             'assigneeId', t.assignee_id, 'requesterId', t.requester_id, 'tags', t.tags, 'version', t.version) as snapshot
    from sla_checks c
    join tickets t on t.org_id = c.org_id and t.id = c.ticket_id
    join orgs o on o.id = c.org_id
    where c.next_check_at <= ${now}
    order by c.next_check_at
    limit ${BATCH}
    for no key update of c, t skip locked`);
  const d = (v: string | null) => (v ? new Date(v) : null);
  const rows: Row[] = res.rows.map((r) => ({
    orgId: r.org_id,
    id: r.id,
    status: r.status,
    firstResponseDue: d(r.first_response_due),
    firstResponseAt: d(r.first_response_at),
    resolveDue: d(r.resolve_due),
    resolvedAt: d(r.resolved_at),
    slaPausedAt: d(r.sla_paused_at),
    nextResponseDue: d(r.next_response_due),
    leadMinutes: r.lead,
  }));
  // Set-based from here: one insert of every due event, one job insert, one update of next checks.
  const candidates: {
    orgId: string;
    ticketId: string;
    metric: string;
    kind: "warn" | "breach";
    dueAt: Date;
    lead: number;
  }[] = [];
  const next: { orgId: string; id: string; at: Date | null }[] = [];
  for (const t of rows) {
    const lead = (t.leadMinutes ?? 15) * 60;
    for (const { metric, due } of runningMetrics(t)) {
      const kind = dueEvent(due, lead, now);
      if (kind) candidates.push({ orgId: t.orgId, ticketId: t.id, metric, kind, dueAt: due, lead });
    }
    next.push({ orgId: t.orgId, id: t.id, at: nextCheckAt(t, lead, now, "after-scan") });
  }
  let warnings = 0;
  let breaches = 0;
  if (candidates.length) {
    const inserted = await tx
      .insert(slaEvents)
      .values(
        candidates.map((c) => ({
          orgId: c.orgId,
          ticketId: c.ticketId,
          metric: c.metric as SlaMetric,
          kind: c.kind,
          at: now,
          dueAt: c.dueAt,
          data: { leadMinutes: c.lead / 60 },
        })),
      )
      .onConflictDoNothing()
      .returning({
        orgId: slaEvents.orgId,
        ticketId: slaEvents.ticketId,
        metric: slaEvents.metric,
        kind: slaEvents.kind,
        dueAt: slaEvents.dueAt,
      });
    for (const e of inserted) {
      if (e.kind === "warn") warnings++;
      else breaches++;
    }
    // Each event's webhook payload is the ticket as the scan saw it (decision 043), not as it is when the job runs.
    const tickets = new Map(res.rows.map((r) => [r.id, r.snapshot]));
    const occurredAt = now.toISOString();
    await enqueueMany(
      tx,
      QUEUES.notify.name,
      inserted.map((e) => {
        const ticket = tickets.get(e.ticketId);
        return {
          orgId: e.orgId,
          kind: e.kind === "warn" ? "sla.warning" : "sla.breach",
          ticketId: e.ticketId,
          metric: e.metric,
          dueAt: e.dueAt!.toISOString(),
          ...(ticket ? { snapshot: { eventId: randomUUID(), occurredAt, ticket } } : {}),
        };
      }),
    );
  }
  if (next.length) {
    // One statement: the next checks moved, the rows of tickets with nothing left running removed.
    await tx.execute(sql`
      with n as (
        select * from unnest(${`{${next.map((n) => n.orgId).join(",")}}`}::uuid[], ${`{${next.map((n) => n.id).join(",")}}`}::uuid[],
                             ${`{${next.map((n) => (n.at ? `"${n.at.toISOString()}"` : "NULL")).join(",")}}`}::timestamptz[]) as n(org_id, ticket_id, at)),
      gone as (delete from sla_checks c using n where c.org_id = n.org_id and c.ticket_id = n.ticket_id and n.at is null)
      update sla_checks c set next_check_at = n.at from n
      where c.org_id = n.org_id and c.ticket_id = n.ticket_id and n.at is not null`);
  }
  return { tickets: rows.length, warnings, breaches };
}
