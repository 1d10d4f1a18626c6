import "server-only";
import os from "node:os";
import { pool } from "../db/client";

/** How often a worker beats its worker_heartbeats row; /api/health calls a worker gone after HEARTBEAT_STALE_SECONDS. */
export const HEARTBEAT_INTERVAL_MS = 15_000;
export const HEARTBEAT_STALE_SECONDS = 60;

/** Upserts this worker's row (and forgets rows no worker beat for a day: killed processes). */
export async function beatHeartbeat(id: string): Promise<void> {
  await pool().query(
    `insert into worker_heartbeats (id, host, pid) values ($1, $2, $3)
       on conflict (id) do update set beat_at = now()`,
    [id, os.hostname(), process.pid],
  );
  await pool().query(`delete from worker_heartbeats where beat_at < now() - interval '1 day'`);
}

/** Removes a stopping worker's row, so health does not count it for the next minute. */
export async function removeHeartbeat(id: string): Promise<void> {
  await pool().query("delete from worker_heartbeats where id = $1", [id]);
}

export type WorkerLiveness = {
  /** Workers (any node) whose last beat is younger than HEARTBEAT_STALE_SECONDS. */
  alive: number;
  /** Seconds since the latest beat of any worker; null when no worker has a row. */
  lastBeatSecondsAgo: number | null;
};

/** The one read of worker_heartbeats, for /api/health's jobs row and the workers_alive gauge. */
export async function workerLiveness(): Promise<WorkerLiveness> {
  const r = await pool().query<{ live: string; ago: string | null }>(
    `select count(*) filter (where beat_at > now() - make_interval(secs => $1))::text as live,
            extract(epoch from now() - max(beat_at))::text as ago
       from worker_heartbeats`,
    [HEARTBEAT_STALE_SECONDS],
  );
  const ago = r.rows[0]?.ago;
  return { alive: Number(r.rows[0]?.live ?? 0), lastBeatSecondsAgo: ago == null ? null : Math.round(Number(ago)) };
}
