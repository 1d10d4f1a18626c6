import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import pg from "pg";
import { envOrExit, setProcessEnv, type Env } from "../../src/server/env";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from "../../src/server/db/embedded";
import type { MigrationStatus } from "../../src/server/db/migrations";
import { prepareDatabase } from "../../src/server/deploy/prepare-database";
import { leakproofWarning } from "../../src/server/db/leakproof";

export const EMBEDDED_PORT = 54329;
export const EMBEDDED_DATABASE = "beacon";

export type Booted = {
  env: Env;
  embedded: EmbeddedServer | null;
  /** Stops what boot started (the embedded server when this process owns it). */
  shutdown: () => Promise<void>;
};

const say = (line: string) => console.log(line);

/**
 * What every entry point needs before touching data: a valid env, a database (embedded
 * PostgreSQL in .data/postgres when DATABASE_URL is unset), and, for the demo, a NEXTAUTH_SECRET.
 * Exits with one clear line when something is wrong.
 */
export async function boot(opts: { needSecret?: boolean; quiet?: boolean } = {}): Promise<Booted> {
  let env = envOrExit();
  const log = opts.quiet ? () => undefined : say;
  let embedded: EmbeddedServer | null = null;
  if (!env.DATABASE_URL) {
    const dataDir = path.resolve(env.BEACON_DATA_DIR, "postgres");
    if (runningPostmaster(dataDir)) {
      log(`Using the embedded PostgreSQL already running on 127.0.0.1:${EMBEDDED_PORT} (data in ${rel(dataDir)}).`);
      setProcessEnv({ DATABASE_URL: embeddedUrl(), BEACON_EMBEDDED_DB: "1" });
    } else {
      log(`Starting embedded PostgreSQL on 127.0.0.1:${EMBEDDED_PORT} (data in ${rel(dataDir)})…`);
      try {
        embedded = await startEmbeddedPostgres({ dataDir, port: EMBEDDED_PORT });
        await ensureDatabase(embedded.url("postgres"), EMBEDDED_DATABASE);
      } catch (err) {
        console.error(`Cannot start embedded PostgreSQL: ${err instanceof Error ? err.message : String(err)}`);
        await embedded?.stop().catch(() => undefined);
        process.exit(1);
      }
      setProcessEnv({ DATABASE_URL: embedded.url(EMBEDDED_DATABASE), BEACON_EMBEDDED_DB: "1" });
    }
  }
  if (opts.needSecret && !process.env.NEXTAUTH_SECRET) {
    // env() has already refused a production deploy on an external database without a secret.
    const file = path.resolve(env.BEACON_DATA_DIR, "nextauth-secret");
    if (!fs.existsSync(file)) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, randomBytes(32).toString("base64url"), { mode: 0o600 });
      log(`Generated a NEXTAUTH_SECRET for this demo into ${rel(file)} (set NEXTAUTH_SECRET to use your own).`);
    }
    setProcessEnv({ NEXTAUTH_SECRET: fs.readFileSync(file, "utf8").trim() });
  }
  env = envOrExit();
  await assertReachable(env.DATABASE_URL!, embedded);
  return { env, embedded, shutdown: async () => void (await embedded?.stop()) };
}

/** Applies Beacon's migrations and pg-boss's schema (the deploy step). */
export async function migrate(quiet = false): Promise<MigrationStatus> {
  const before = Date.now();
  const status = await prepareDatabase(process.env.DATABASE_URL!, { webUrl: envOrExit().DATABASE_WEB_URL });
  if (!quiet)
    say(
      `Migrations: ${status.applied.length} applied, ${status.pending.length} pending; job queues ready (${Date.now() - before} ms).`,
    );
  // node-postgres drops the migration's NOTICE: say it here, on stderr, every run until fixed.
  if (!status.leakproof.ok) console.warn(leakproofWarning(status.leakproof));
  return status;
}

function embeddedUrl(): string {
  return `postgres://postgres:beacon-embedded@127.0.0.1:${EMBEDDED_PORT}/${EMBEDDED_DATABASE}`;
}

function runningPostmaster(dataDir: string): boolean {
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (!fs.existsSync(pidFile)) return false;
  const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function assertReachable(url: string, embedded: EmbeddedServer | null): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  try {
    await client.connect();
    await client.query("select 1");
  } catch (err) {
    const u = new URL(url);
    const why = (err as { code?: string; message?: string }).code ?? (err as Error).message;
    console.error(
      `Cannot reach the database at ${u.hostname}:${u.port || 5432}${u.pathname} (${why}). Is PostgreSQL running and DATABASE_URL right?`,
    );
    await embedded?.stop().catch(() => undefined);
    process.exit(1);
  } finally {
    await client.end().catch(() => undefined);
  }
}

const rel = (p: string) => path.relative(process.cwd(), p) || ".";
