import "server-only";
import pg from "pg";
import { ensureJobSchema } from "../jobs/boss";
import { ensureLeakproof, type LeakproofState } from "../db/leakproof";
import { assertWebLogin, ensureWebRole, webDatabaseUrl } from "../db/roles";
import {
  MIGRATE_LOCK_SQL,
  MIGRATE_UNLOCK_SQL,
  migrationError,
  runMigrations,
  type MigrationStatus,
} from "../db/migrations";

export type PrepareResult = MigrationStatus & { leakproof: LeakproofState };

/**
 * The deploy step: Beacon's SQL migrations, pg-boss's schema, queues and grants, and the search
 * operators' LEAKPROOF marks, all under one session advisory lock. Two nodes migrating an empty
 * database at once then run one after the other: the second finds everything in place (before,
 * the job-queue schema was created after the lock was released and the two deadlocked).
 * It also creates (or checks) the request login role, a member of beacon_app only, and logs in
 * as it once (docs/decisions/027). `webUrl` is DATABASE_WEB_URL when the operator manages it.
 * A failure is rethrown with PostgreSQL's own message, detail and hint (migrationError).
 */
export async function prepareDatabase(url: string, opts: { webUrl?: string } = {}): Promise<PrepareResult> {
  const client = new pg.Client({ connectionString: url, application_name: "beacon-migrate" });
  client.on("error", () => undefined);
  await client.connect();
  try {
    await client.query(MIGRATE_LOCK_SQL);
    try {
      const status = await runMigrations(client);
      await ensureJobSchema(url);
      const leakproof = await ensureLeakproof(client);
      await ensureWebRole(client, url, opts.webUrl);
      await assertWebLogin(webDatabaseUrl(url, opts.webUrl));
      return { ...status, leakproof };
    } finally {
      await client.query(MIGRATE_UNLOCK_SQL).catch(() => undefined);
    }
  } catch (err) {
    throw migrationError(err);
  } finally {
    await client.end().catch(() => undefined);
  }
}
