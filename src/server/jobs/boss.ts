import "server-only";
import PgBoss from "pg-boss";
import type pg from "pg";
import { DEAD_QUEUES, RETIRED_QUEUES, WORK_QUEUES } from "./queues";

export const BOSS_SCHEMA = "pgboss";

/**
 * pg-boss's own tables live in schema pgboss, created and migrated by pg-boss. Request work
 * (role beacon_app) enqueues jobs inside its own transaction, so it may insert jobs and read the
 * queue list — nothing else there.
 */
export async function ensureJobSchema(url: string): Promise<void> {
  const boss = new PgBoss({ connectionString: url, schema: BOSS_SCHEMA, supervise: false, schedule: false, max: 2 });
  boss.on("error", () => undefined);
  await boss.start();
  try {
    for (const q of [...DEAD_QUEUES, ...WORK_QUEUES]) {
      const { cron: _cron, ...options } = q as typeof q & { cron?: string };
      const existing = await boss.getQueue(q.name);
      if (existing) await boss.updateQueue(q.name, options);
      else await boss.createQueue(q.name, options);
    }
    for (const name of RETIRED_QUEUES) {
      if (!(await boss.getQueue(name))) continue;
      // Its jobs first: pg-boss refuses to delete a queue that still has any (q_fkey, RESTRICT).
      await boss.getDb().executeSql(`delete from ${BOSS_SCHEMA}.job where name = $1`, [name]);
      await boss.deleteQueue(name);
    }
    // Dead letters made before decision 022 kept pg-boss's default (about four weeks): keep them.
    await boss.getDb().executeSql(
      `update ${BOSS_SCHEMA}.job set keep_until = now() + interval '10 years'
        where name = any($1::text[]) and state < 'active' and keep_until < now() + interval '5 years'`,
      [DEAD_QUEUES.map((q) => q.name)],
    );
    await boss.getDb().executeSql(
      `grant usage on schema ${BOSS_SCHEMA} to beacon_app, beacon_system;
       grant select on ${BOSS_SCHEMA}.queue to beacon_app, beacon_system;
       grant insert, select (id) on ${BOSS_SCHEMA}.job to beacon_app, beacon_system`,
      [],
    );
  } finally {
    await boss.stop({ graceful: false, wait: true });
  }
}

/** A PgBoss that only sends, always through a caller's transaction (it owns no connection). */
let sender: PgBoss | undefined;
export function jobSender(): PgBoss {
  sender ??= new PgBoss({
    schema: BOSS_SCHEMA,
    db: { executeSql: () => Promise.reject(new Error("jobs are sent through a transaction: pass { db }")) },
  });
  return sender;
}

/** pg-boss's Db interface over a client that is inside a transaction. */
export function txDb(client: pg.ClientBase): PgBoss.Db {
  return { executeSql: (text, values) => client.query(text, values) };
}
