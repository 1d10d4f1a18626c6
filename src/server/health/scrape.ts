import "server-only";
import client from "prom-client";
import { sql } from "drizzle-orm";
import { pool } from "../db/client";
import { unsafeWithSystem } from "../db/tenant";
import { readiness, type Readiness } from "./readiness";
import { HEARTBEAT_STALE_SECONDS, workerLiveness } from "../jobs/heartbeat";
import { DEAD_QUEUES } from "../jobs/queues";
import { jobCounts, queueStates, type QueueState } from "../jobs/stats";
import { registerEmailMetrics } from "../email/email-metrics";
import { metrics } from "../observability/metrics";

/**
 * The Prometheus text for /api/metrics: this process's counters plus figures read from the
 * database (readiness, SLA warnings and breaches recorded, SLA scan lag, jobs per queue and state,
 * dead letters, queue lag), so one scrape of any app node sees the whole system.
 *
 * The database figures are read at most once per SCRAPE_CACHE_MS (one Prometheus scrape
 * interval): scrapes within that window, and a burst of concurrent scrapes, share one read, so
 * scraping cannot be turned into a stream of cross-org queries.
 */
export const SCRAPE_CACHE_MS = 15_000;

type Figures = {
  at: number;
  readiness: Readiness;
  sla?: { warn: number; breach: number };
  queues?: QueueState[];
  slaScanLagSeconds?: number;
  workersAlive?: number;
  imapFetchLagSeconds?: number;
};

type CacheState = { figures?: Figures; pending?: Promise<Figures>; maxAgeMs: number };
const g = globalThis as unknown as { __beaconScrapeCache?: CacheState };
const cache = (): CacheState => (g.__beaconScrapeCache ??= { maxAgeMs: SCRAPE_CACHE_MS });

/** Tests shorten or clear the cache; production always uses SCRAPE_CACHE_MS. */
export function setScrapeCacheForTests(maxAgeMs: number): void {
  g.__beaconScrapeCache = { maxAgeMs };
}

async function readFigures(): Promise<Figures> {
  metrics().scrapeDbReads.inc();
  const ready = await readiness();
  const figures: Figures = { at: Date.now(), readiness: ready };
  if (!ready.db.ok) return figures;
  try {
    const [counts, lag] = await unsafeSlaFigures();
    const n = (kind: string) => Number(counts.rows.find((r) => r.kind === kind)?.n ?? 0);
    figures.sla = { warn: n("warn"), breach: n("breach") };
    figures.slaScanLagSeconds = Math.max(0, Number(lag.rows[0]?.lag ?? 0));
    figures.queues = await queueStates(pool());
    figures.workersAlive = (await workerLiveness()).alive;
    // IMAP mailboxes (decision 034): the one whose last successful look at its folder is oldest.
    const imap = await unsafeImapLag();
    figures.imapFetchLagSeconds = Math.max(0, Number(imap.rows[0]?.lag ?? 0));
  } catch {
    // The database going away mid-read must not take the metrics endpoint with it; readiness reports it.
  }
  return figures;
}

/** SLA warn/breach counts and the scan lag over every org (the system role: metrics are not per tenant). */
async function unsafeSlaFigures() {
  return unsafeWithSystem(
    async (tx) =>
      [
        await tx.execute<{ kind: string; n: string }>(
          sql`select kind::text, count(*)::text as n from sla_events where kind in ('warn', 'breach') group by kind`,
        ),
        // The oldest SLA check that has come due and no scan has taken yet (partial index on
        // sla_checks.next_check_at). The scan runs every minute, so up to about 60 s is normal.
        await tx.execute<{ lag: string | null }>(
          sql`select extract(epoch from now() - min(next_check_at))::text as lag from sla_checks where next_check_at <= now()`,
        ),
      ] as const,
  );
}

/** The enabled mailbox whose last successful fetch is oldest, over every org. */
async function unsafeImapLag() {
  return unsafeWithSystem((tx) =>
    tx.execute<{ lag: string | null }>(
      sql`select extract(epoch from now() - min(coalesce(last_fetched_at, created_at)))::text as lag from email_mailboxes where enabled`,
    ),
  );
}

async function databaseFigures(): Promise<Figures> {
  const c = cache();
  if (c.figures && Date.now() - c.figures.at < c.maxAgeMs) return c.figures;
  c.pending ??= readFigures()
    .then((f) => {
      c.figures = f;
      return f;
    })
    .finally(() => {
      c.pending = undefined;
    });
  return c.pending;
}

export async function scrapeMetrics(): Promise<{ body: string; contentType: string }> {
  const m = metrics();
  // The email series exist from zero on every node, also one that applies no mail itself.
  registerEmailMetrics();
  const f = await databaseFigures();
  const extra = new client.Registry();
  const gauge = (name: string, help: string, labelNames: string[] = []) =>
    new client.Gauge({ name, help, labelNames, registers: [extra] });
  gauge(
    "readiness_ok",
    "1 when this node's /readyz would answer 200 (database answers, no migration pending), else 0",
  ).set(f.readiness.ready ? 1 : 0);
  gauge("db_up", "1 when the database answered this node's readiness check, else 0").set(f.readiness.db.ok ? 1 : 0);
  const local = gauge("jobs_handled_by_this_process", "Jobs this process's worker completed, failed or dead-lettered", [
    "queue",
    "outcome",
  ]);
  if (f.sla) {
    const sla = gauge("sla_events_recorded", "SLA warnings and breaches recorded (all orgs)", ["kind"]);
    sla.set({ kind: "warn" }, f.sla.warn);
    sla.set({ kind: "breach" }, f.sla.breach);
  }
  if (f.slaScanLagSeconds !== undefined) {
    gauge(
      "sla_scan_lag_seconds",
      "Age of the oldest SLA check that has come due and no scan has taken yet (0: none waiting)",
    ).set(f.slaScanLagSeconds);
  }
  if (f.workersAlive !== undefined) {
    gauge("workers_alive", `Job workers (any node) whose heartbeat is younger than ${HEARTBEAT_STALE_SECONDS} s`).set(
      f.workersAlive,
    );
  }
  if (f.imapFetchLagSeconds !== undefined) {
    gauge(
      "imap_fetch_lag_seconds",
      "Seconds since an enabled IMAP mailbox was last fetched, the largest over all mailboxes (0: none connected)",
    ).set(f.imapFetchLagSeconds);
  }
  if (f.queues) {
    const jobs = gauge("jobs", "Jobs in pg-boss by queue and state (all workers)", ["queue", "state"]);
    const lag = gauge("job_queue_lag_seconds", "Age of the oldest job waiting to start", ["queue"]);
    const dead = gauge("jobs_dead_letters", "Jobs moved to a dead-letter queue", ["queue"]);
    const deadNames = new Set(DEAD_QUEUES.map((q) => q.name));
    // Every dead-letter queue has a series from 0, so the first dead letter shows as a rise.
    for (const q of DEAD_QUEUES) dead.set({ queue: q.name.replace(/-dead$/, "") }, 0);
    for (const q of f.queues) {
      if (deadNames.has(q.queue)) {
        dead.set({ queue: q.queue.replace(/-dead$/, "") }, q.waiting + q.active + q.completed + q.failed);
        continue;
      }
      for (const state of ["waiting", "active", "failed", "completed"] as const)
        jobs.set({ queue: q.queue, state }, q[state]);
      lag.set({ queue: q.queue }, q.lagSeconds);
    }
  }
  for (const [queue, c] of Object.entries(jobCounts())) {
    for (const outcome of ["completed", "failed", "dead"] as const) local.set({ queue, outcome }, c[outcome]);
  }
  const body = (await m.registry.metrics()) + (await extra.metrics());
  return { body, contentType: m.registry.contentType };
}
