import "server-only";
import { pool } from "../db/client";
import { queueStates } from "../jobs/stats";
import { readiness } from "./readiness";
import { leakproofState } from "../db/leakproof";
import { env } from "../env";
import { HEARTBEAT_STALE_SECONDS, workerLiveness } from "../jobs/heartbeat";
import { redisHealth } from "../ratelimit/limiters";
import pkg from "../../../package.json";

/** One dependency's row: ok, or degraded with the reason in detail (issue 21 §4). */
export type HealthRow = { ok: boolean; detail: string };

/** The oldest job waiting to start longer than this is late: no worker, or too few. */
export const QUEUE_LATE_SECONDS = 60;

/** Job workers: a heartbeat within HEARTBEAT_STALE_SECONDS, and no waiting job older than QUEUE_LATE_SECONDS. */
async function jobsRow(
  maxLagSeconds: number | null,
): Promise<HealthRow & { workers: number; lastBeatSecondsAgo: number | null }> {
  const { alive: workers, lastBeatSecondsAgo: ago } = await workerLiveness();
  const problems: string[] = [];
  if (workers === 0) {
    problems.push(
      `no job worker has beaten within ${HEARTBEAT_STALE_SECONDS} s (${ago === null ? "none running" : `last ${ago} s ago`}): jobs wait until one runs (npm run worker, or npm start without --no-worker)`,
    );
  }
  if (maxLagSeconds !== null && maxLagSeconds > QUEUE_LATE_SECONDS) {
    problems.push(`the oldest waiting job has waited ${maxLagSeconds} s (late after ${QUEUE_LATE_SECONDS} s)`);
  }
  return {
    ok: problems.length === 0,
    detail: problems.join("; ") || `${workers} worker(s) alive`,
    workers,
    lastBeatSecondsAgo: ago,
  };
}

/** Redis, when REDIS_URL is set: down means rate limits quietly became per process. */
async function redisRow(): Promise<HealthRow | undefined> {
  if (!env().REDIS_URL) return undefined;
  const r = await redisHealth();
  return r.ok
    ? { ok: true, detail: "connected" }
    : { ok: false, detail: `unreachable (${r.error}): rate limits are per process until it is back` };
}

/** Mail transport: SMTP, or files under BEACON_DATA_DIR/mail (degraded in production: nobody receives them). */
function mailRow(): HealthRow & { transport: "smtp" | "files" } {
  const e = env();
  if (e.SMTP_URL) return { ok: true, transport: "smtp", detail: `SMTP ${new URL(e.SMTP_URL).host}` };
  const prod = e.NODE_ENV === "production";
  return {
    ok: !prod,
    transport: "files",
    detail: `SMTP_URL unset: email is written to files in ${e.BEACON_DATA_DIR}/mail${prod ? ", nobody receives it" : ""}`,
  };
}

/** A row read from the database: not checked while readiness found it down, and a failed read is the row's detail. */
async function databaseRow<T extends HealthRow>(dbOk: boolean, read: () => Promise<T>): Promise<T | HealthRow> {
  if (!dbOk) return { ok: false, detail: "not checked: database unavailable" };
  try {
    return await read();
  } catch (err) {
    return { ok: false, detail: `not checked: ${(err as Error).message}` };
  }
}

/**
 * GET /api/health: readiness plus one row per dependency (jobs, Redis, mail, search's LEAKPROOF
 * marks), each { ok, detail }; any row not ok makes the status degraded (503), its detail listed
 * in reasons. A new row: compute it and add it to `rows` below. /readyz stays database-only (decision 028).
 */
export async function health() {
  const r = await readiness();
  let queue: { ok: boolean; waiting: number; active: number; failed: number; maxLagSeconds: number } | { ok: false } = {
    ok: false,
  };
  if (r.db.ok) {
    try {
      const states = await queueStates(pool());
      queue = {
        ok: true,
        waiting: states.reduce((a, s) => a + s.waiting, 0),
        active: states.reduce((a, s) => a + s.active, 0),
        failed: states.reduce((a, s) => a + s.failed, 0),
        maxLagSeconds: Math.round(Math.max(0, ...states.map((s) => s.lagSeconds))),
      };
    } catch {
      queue = { ok: false };
    }
  }
  // Search operators' LEAKPROOF marks (docs/runbooks.md#search-operators-leakproof).
  const search = await databaseRow(r.db.ok, async () => {
    const s = await leakproofState(pool());
    return { ok: s.ok, detail: s.detail };
  });
  const jobs = await databaseRow(r.db.ok, () => jobsRow("maxLagSeconds" in queue ? queue.maxLagSeconds : null));
  const redis = await redisRow();
  const mail = mailRow();
  const rows: Record<string, HealthRow | undefined> = { jobs, redis, mail, search };
  const reasons = [
    ...(r.ready ? [] : [r.db.ok ? "migrations: pending" : `db: ${r.db.error ?? "unreachable"}`]),
    ...Object.entries(rows).flatMap(([name, row]) => (row && !row.ok ? [`${name}: ${row.detail}`] : [])),
  ];
  return {
    status: reasons.length === 0 ? "ok" : "degraded",
    reasons,
    db: { ok: r.db.ok, latencyMs: r.db.latencyMs },
    migrations: r.migrations ?? { applied: null, pending: null },
    queue,
    jobs,
    ...(redis ? { redis } : {}),
    mail,
    search,
    version: pkg.version,
  };
}
