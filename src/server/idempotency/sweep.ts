import "server-only";
import { sql } from "drizzle-orm";
import { unsafeWithSystem } from "../db/tenant";

/** How long an Idempotency-Key is honoured (decision 043); the sweep removes rows older than this. */
export const IDEMPOTENCY_TTL_HOURS = 24;
const BATCH = 5000;

/**
 * Removes Idempotency-Key rows older than the 24 hours they are honoured for (decision 043), in
 * batches so one pass never holds a long lock. Every org's rows (the system path), hence unsafe…;
 * run hourly by the worker's `idempotency-sweep` job. A stale row is also ignored (and replaced)
 * by a request, so a late sweep only costs space.
 */
export async function unsafeSweepIdempotencyKeys(opts: { now?: Date } = {}): Promise<{ deleted: number }> {
  const now = (opts.now ?? new Date()).toISOString();
  let deleted = 0;
  for (;;) {
    const n = await unsafeWithSystem(async (tx) => {
      const r = await tx.execute(sql`
        delete from idempotency_keys where ctid in (
          select ctid from idempotency_keys
          where created_at <= ${now}::timestamptz - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})
          limit ${BATCH})`);
      return r.rowCount ?? 0;
    });
    deleted += n;
    if (n < BATCH) return { deleted };
  }
}
