import "server-only";
import type pg from "pg";
import { BOSS_SCHEMA } from "./boss";
import { DEAD_QUEUES } from "./queues";

// In-process job counters (this process's worker), and queue state read from pg-boss's tables
// (all workers). The operations issue publishes both on /api/metrics.

type Outcome = "completed" | "failed" | "dead";
const g = globalThis as unknown as {
  __beaconJobCounts?: Map<string, { completed: number; failed: number; dead: number; seconds: number }>;
};

export function countJob(queue: string, outcome: Outcome, ms: number): void {
  g.__beaconJobCounts ??= new Map();
  const c = g.__beaconJobCounts.get(queue) ?? { completed: 0, failed: 0, dead: 0, seconds: 0 };
  c[outcome]++;
  c.seconds += ms / 1000;
  g.__beaconJobCounts.set(queue, c);
}

export function jobCounts(): Record<string, { completed: number; failed: number; dead: number; seconds: number }> {
  return Object.fromEntries(g.__beaconJobCounts ?? new Map());
}

export type QueueState = {
  queue: string;
  waiting: number;
  active: number;
  failed: number;
  completed: number;
  lagSeconds: number;
};

/** Jobs per queue and state, and the age of the oldest job waiting to start (queue lag). */
export async function queueStates(client: pg.Pool | pg.Client): Promise<QueueState[]> {
  // A dead letter waits on purpose (until a person acts, decision 022): it is no queue lag.
  const r = await client.query<{
    name: string;
    waiting: string;
    active: string;
    failed: string;
    completed: string;
    lag: string | null;
  }>(
    `
    select name,
           count(*) filter (where state in ('created', 'retry'))::text as waiting,
           count(*) filter (where state = 'active')::text as active,
           count(*) filter (where state = 'failed')::text as failed,
           count(*) filter (where state = 'completed')::text as completed,
           extract(epoch from now() - min(start_after) filter (where state in ('created', 'retry') and start_after <= now() and not (name = any($1::text[]))))::text as lag
    from ${BOSS_SCHEMA}.job group by name order by name`,
    [DEAD_QUEUES.map((q) => q.name)],
  );
  return r.rows.map((x) => ({
    queue: x.name,
    waiting: Number(x.waiting),
    active: Number(x.active),
    failed: Number(x.failed),
    completed: Number(x.completed),
    lagSeconds: x.lag ? Math.max(0, Number(x.lag)) : 0,
  }));
}
