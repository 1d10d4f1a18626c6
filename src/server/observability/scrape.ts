import "server-only";
import client from "prom-client";
import { sql } from "drizzle-orm";
import { pool } from "../db/client";
import { unsafeWithSystem } from "../db/tenant";
import { DEAD_QUEUES } from "../jobs/queues";
import { jobCounts, queueStates } from "../jobs/stats";
import { metrics } from "./metrics";

/**
 * The Prometheus text for /api/metrics: this process's counters plus figures read now from the
 * database (SLA warnings and breaches recorded, jobs per queue and state, dead letters, queue lag),
 * so one scrape of any app node sees the whole system.
 */
export async function scrapeMetrics(): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  const extra = new client.Registry();
  const sla = new client.Gauge({ name: "sla_events_recorded", help: "SLA warnings and breaches recorded (all orgs)", labelNames: ["kind"], registers: [extra] });
  const jobs = new client.Gauge({ name: "jobs", help: "Jobs in pg-boss by queue and state (all workers)", labelNames: ["queue", "state"], registers: [extra] });
  const lag = new client.Gauge({ name: "job_queue_lag_seconds", help: "Age of the oldest job waiting to start", labelNames: ["queue"], registers: [extra] });
  const dead = new client.Gauge({ name: "jobs_dead_letters", help: "Jobs moved to a dead-letter queue", labelNames: ["queue"], registers: [extra] });
  const local = new client.Gauge({ name: "jobs_handled_by_this_process", help: "Jobs this process's worker completed, failed or dead-lettered", labelNames: ["queue", "outcome"], registers: [extra] });
  try {
    const counts = await unsafeWithSystem((tx) =>
      tx.execute<{ kind: string; n: string }>(sql`select kind::text, count(*)::text as n from sla_events where kind in ('warn', 'breach') group by kind`),
    );
    for (const kind of ["warn", "breach"]) sla.set({ kind }, Number(counts.rows.find((r) => r.kind === kind)?.n ?? 0));
    const deadNames = new Set(DEAD_QUEUES.map((q) => q.name));
    for (const q of await queueStates(pool())) {
      if (deadNames.has(q.queue)) {
        dead.set({ queue: q.queue.replace(/-dead$/, "") }, q.waiting + q.active + q.completed + q.failed);
        continue;
      }
      for (const state of ["waiting", "active", "failed", "completed"] as const) jobs.set({ queue: q.queue, state }, q[state]);
      lag.set({ queue: q.queue }, q.lagSeconds);
    }
  } catch {
    // The database being down must not take the metrics endpoint with it; readiness reports it.
  }
  for (const [queue, c] of Object.entries(jobCounts())) {
    for (const outcome of ["completed", "failed", "dead"] as const) local.set({ queue, outcome }, c[outcome]);
  }
  const body = (await m.registry.metrics()) + (await extra.metrics());
  return { body, contentType: m.registry.contentType };
}
