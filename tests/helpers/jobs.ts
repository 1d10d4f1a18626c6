import { sql } from "drizzle-orm";
import { db } from "../../src/server/db/client";

export type JobRow = {
  id: string;
  name: string;
  state: string;
  data: Record<string, unknown>;
  retry_count: number;
  start_after: string;
  output: unknown;
};

/** Jobs of a queue (optionally only those whose data matches), read straight from pg-boss's table. */
export async function jobsIn(queue: string, match: Record<string, string> = {}): Promise<JobRow[]> {
  const r = await db()
    .execute<JobRow>(sql`select id, name, state::text as state, data, retry_count, start_after::text as start_after, output
    from pgboss.job where name = ${queue} and data @> ${JSON.stringify(match)}::jsonb order by created_on`);
  return r.rows;
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
