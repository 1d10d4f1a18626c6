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
  const exists = await client.query<{ ok: boolean }>(
    `select to_regclass('drizzle.__drizzle_migrations') is not null as ok`,
  );
  let last = -1;
  if (exists.rows[0]?.ok) {
    const r = await client.query<{ last: string | null }>(
      `select max(created_at)::text as last from drizzle.__drizzle_migrations`,
    );
    last = r.rows[0]?.last ? Number(r.rows[0].last) : -1;
  }
  return {
    applied: all.filter((m) => m.when <= last).map((m) => m.tag),
    pending: all.filter((m) => m.when > last).map((m) => m.tag),
  };
}

export const MIGRATE_LOCK_SQL = "select pg_advisory_lock(hashtext('beacon:migrate'))";
export const MIGRATE_UNLOCK_SQL = "select pg_advisory_unlock(hashtext('beacon:migrate'))";

/**
 * Applies pending migrations under an advisory lock, so two starting nodes never race. Session
 * advisory locks nest: prepareDatabase holds the same lock around this and the steps after it.
 */
export async function runMigrations(client: pg.Client): Promise<MigrationStatus> {
  await client.query(MIGRATE_LOCK_SQL);
  try {
    await migrate(drizzle(client), { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await client.query(MIGRATE_UNLOCK_SQL);
  }
  return migrationStatus(client);
}

type PgError = Error & { code?: string; detail?: string; hint?: string; where?: string; severity?: string };

/**
 * Drizzle wraps a failed statement as "Failed query: <the whole SQL> params:" and keeps
 * PostgreSQL's error only as `cause`. This puts the server's message, SQLSTATE, detail and hint
 * first, and the statement's first line after them.
 */
export function migrationError(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err));
  const pgErr = (err.cause instanceof Error ? err.cause : err) as PgError;
  if (!pgErr.code) return err;
  const query = (err as { query?: string }).query;
  const lines = [`${pgErr.message} (SQLSTATE ${pgErr.code})`];
  if (pgErr.detail) lines.push(`DETAIL: ${pgErr.detail}`);
  if (pgErr.hint) lines.push(`HINT: ${pgErr.hint}`);
  if (pgErr.where) lines.push(`WHERE: ${pgErr.where.split("\n")[0]}`);
  if (query) {
    const first =
      query
        .split("\n")
        .find((l) => l.trim() && !l.trim().startsWith("--"))
        ?.trim() ?? "";
    lines.push(`in the statement: ${first.length > 120 ? `${first.slice(0, 120)}…` : first}`);
  }
  const out = new Error(lines.join("\n"), { cause: err }) as PgError;
  out.code = pgErr.code;
  out.hint = pgErr.hint;
  out.detail = pgErr.detail;
  return out;
}
