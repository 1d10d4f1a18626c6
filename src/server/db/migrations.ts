import "server-only";
import fs from "node:fs";
import path from "node:path";
import { drizzle } from "drizzle-orm/node-postgres";
import { migrate } from "drizzle-orm/node-postgres/migrator";
import type pg from "pg";

export const MIGRATIONS_FOLDER = path.resolve(process.cwd(), "drizzle");

export type MigrationStatus = { applied: string[]; pending: string[] };

type JournalEntry = { tag: string; when: number };

function journal(): JournalEntry[] {
  const file = path.join(MIGRATIONS_FOLDER, "meta", "_journal.json");
  return (JSON.parse(fs.readFileSync(file, "utf8")) as { entries: JournalEntry[] }).entries;
}

/**
 * Which committed migrations the database has and lacks. Drizzle records each applied migration
 * with created_at = the journal entry's `when`, and applies those newer than the latest recorded.
 */
export async function migrationStatus(client: pg.Pool | pg.Client): Promise<MigrationStatus> {
  const all = journal();
  const exists = await client.query<{ ok: boolean }>(`select to_regclass('drizzle.__drizzle_migrations') is not null as ok`);
  let last = -1;
  if (exists.rows[0]?.ok) {
    const r = await client.query<{ last: string | null }>(`select max(created_at)::text as last from drizzle.__drizzle_migrations`);
    last = r.rows[0]?.last ? Number(r.rows[0].last) : -1;
  }
  return {
    applied: all.filter((m) => m.when <= last).map((m) => m.tag),
    pending: all.filter((m) => m.when > last).map((m) => m.tag),
  };
}

/** Applies pending migrations under an advisory lock, so two starting nodes never race. */
export async function runMigrations(client: pg.Client): Promise<MigrationStatus> {
  await client.query("select pg_advisory_lock(hashtext('beacon:migrate'))");
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.query("select pg_advisory_unlock(hashtext('beacon:migrate'))");
  }
  return migrationStatus(client);
}
