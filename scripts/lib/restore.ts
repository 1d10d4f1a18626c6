// db:restore: restore a db:backup dump into an empty database, then verify it against the
// manifest written beside the dump (row counts, RLS, policies, grants, migrations, audit chains).
import { createHash } from "node:crypto";
import fs from "node:fs";
import type pg from "pg";
import { env, setProcessEnv } from "../../src/server/env";
import { closeDb } from "../../src/server/db/client";
import { verifyAllOrgs } from "../../src/server/audit/verify-all";
import { ensureLeakproof, LEAKPROOF_NAMES, leakproofState, leakproofWarning } from "../../src/server/db/leakproof";
import {
  collectState,
  compareAudit,
  compareState,
  MANIFEST_FORMAT,
  type AuditState,
  type CheckRow,
  type Manifest,
} from "./db-state";
import {
  connect,
  databaseOf,
  findPgTool,
  quoteIdent,
  redactUrl,
  runPipe,
  runTool,
  serverInfo,
  serverKey,
  serverLabel,
  toolConnection,
  UserError,
  withDatabase,
  type ServerInfo,
} from "./pg-tools";

export const APP_ROLES = ["beacon_app", "beacon_system"] as const;

export function readManifest(file: string): Manifest {
  if (!fs.existsSync(file)) {
    throw new UserError(
      `No manifest at ${file}. db:restore verifies against the manifest that db:backup writes beside the dump; pass --manifest <file> if it was moved.`,
      2,
    );
  }
  const m = JSON.parse(fs.readFileSync(file, "utf8")) as Manifest;
  if (m.format !== MANIFEST_FORMAT)
    throw new UserError(`${file} is not a Beacon backup manifest (format ${String(m.format)}).`, 2);
  return m;
}

export function sha256File(file: string): string {
  const h = createHash("sha256");
  const fd = fs.openSync(file, "r");
  try {
    const buf = Buffer.allocUnsafe(1 << 20);
    for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) h.update(buf.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest("hex");
}

export type RestoreOptions = {
  file: string;
  manifest: Manifest;
  targetUrl: string;
  /** The database the app uses (DATABASE_URL, or the embedded default). */
  liveUrl: string;
  /** How to name the live database in messages: "DATABASE_URL" or "the embedded default". */
  liveLabel: string;
  force: boolean;
  overwriteLive: boolean;
  verifyOnly: boolean;
  noOwner: boolean;
  pgBin?: string;
  log: (line: string) => void;
};

export type RestoreResult = {
  rows: CheckRow[];
  created: boolean;
  isLive: boolean;
  restoreMs: number | null;
  databaseOwner: string;
};

async function connectOrMissing(url: string): Promise<pg.Client | null> {
  try {
    return await connect(url, "beacon-restore");
  } catch (err) {
    if ((err as { code?: string }).code === "3D000") return null; // database does not exist
    throw new UserError(`Cannot connect to ${redactUrl(url)}: ${(err as Error).message}`);
  }
}

async function maintenanceClient(targetUrl: string): Promise<pg.Client> {
  let last: unknown;
  for (const db of ["postgres", "template1"]) {
    try {
      return await connect(withDatabase(targetUrl, db), "beacon-restore");
    } catch (err) {
      last = err;
    }
  }
  throw new UserError(
    `Cannot connect to the server of ${redactUrl(targetUrl)} to create the database: ${(last as Error).message}`,
  );
}

/** Objects in the database beyond what CREATE DATABASE puts there (the public schema, plpgsql). */
async function contentCount(client: pg.ClientBase): Promise<number> {
  const r = await client.query<{ n: string }>(`
    select ((select count(*) from pg_class c join pg_namespace n on n.oid = c.relnamespace
              where n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%')
          + (select count(*) from pg_namespace n
              where n.nspname not in ('pg_catalog', 'information_schema', 'public') and n.nspname not like 'pg\\_toast%' and n.nspname not like 'pg\\_temp%')
          + (select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
              where n.nspname not in ('pg_catalog', 'information_schema'))
          + (select count(*) from pg_extension where extname <> 'plpgsql'))::text as n`);
  return Number(r.rows[0]!.n);
}

async function roleExists(client: pg.ClientBase, role: string): Promise<boolean> {
  return ((await client.query("select 1 from pg_roles where rolname = $1", [role])).rowCount ?? 0) > 0;
}

async function isMember(client: pg.ClientBase, role: string, of: string): Promise<boolean> {
  const r = await client.query<{ ok: boolean }>("select pg_has_role($1, $2, 'MEMBER') as ok", [role, of]);
  return !!r.rows[0]?.ok;
}

/** The cluster-wide roles the dump's grants and policies name; they are not part of a database dump. */
async function ensureRoles(
  client: pg.ClientBase,
  info: ServerInfo,
  manifest: Manifest,
  log: (l: string) => void,
): Promise<void> {
  for (const role of APP_ROLES) {
    if (await roleExists(client, role)) continue;
    try {
      await client.query(`create role ${quoteIdent(role)} nologin nobypassrls`);
      log(`Created role ${role} (NOLOGIN NOBYPASSRLS): roles are cluster-wide and not in the dump.`);
    } catch (err) {
      if ((err as { code?: string }).code === "42710") continue; // created concurrently
      throw new UserError(
        `Role ${role} is missing on the target server and "${info.user}" cannot create it (${(err as Error).message}). ` +
          `As a superuser: CREATE ROLE ${role} NOLOGIN NOBYPASSRLS;`,
      );
    }
  }
  const grantees = new Set(
    manifest.state.grants
      .map((g) => /^\S+ \S+ to (.+): /.exec(g)?.[1])
      .filter((g): g is string => !!g && g !== "PUBLIC"),
  );
  const missing = [];
  for (const g of grantees) if (!(await roleExists(client, g.replace(/^"|"$/g, "")))) missing.push(g);
  if (missing.length) {
    throw new UserError(
      `The backup grants privileges to role(s) missing on the target server: ${missing.join(", ")}. Create them first (they are cluster-wide).`,
    );
  }
}

/**
 * db:restore, step by step: the dump matches its manifest; unless --verify-only, the target is
 * checked (tool version, emptiness or --force, roles, owners), created if missing, and the dump
 * restored in one transaction; then the result is verified against the manifest.
 */
export async function runRestore(o: RestoreOptions): Promise<RestoreResult> {
  const rows: CheckRow[] = [checkDumpChecksum(o)];
  const targetDb = databaseOf(o.targetUrl);
  const isLive = serverKey(o.targetUrl) === serverKey(o.liveUrl) && targetDb === databaseOf(o.liveUrl);
  let target = await connectOrMissing(o.targetUrl);
  let created = false;
  let restoreMs: number | null = null;

  try {
    if (o.verifyOnly) {
      if (!target)
        throw new UserError(
          `Database ${targetDb} does not exist on ${serverLabel(o.targetUrl)}; nothing to verify.`,
          2,
        );
    } else {
      const admin = target ?? (await maintenanceClient(o.targetUrl));
      try {
        const info = await serverInfo(admin);
        const pgRestore = pgRestoreFor(o, info);
        const clean = target ? await mayRestoreInto(o, target, targetDb, isLive) : false;
        await ensureRoles(admin, info, o.manifest, o.log);
        if (!o.noOwner) await assertOwnersUsable(admin, info, o.manifest);
        if (!target) {
          const owner = await createTargetDatabase(o, admin, info, targetDb);
          created = true;
          target = await connect(o.targetUrl, "beacon-restore");
          await grantAppRoles(o, admin, info, owner);
        }
        const started = performance.now();
        const failure = await restoreDump(o, info, pgRestore, target, clean, targetDb);
        restoreMs = Math.round(performance.now() - started);
        if (failure) {
          if (created) {
            await target.end().catch(() => undefined);
            target = null;
            await admin.query(`drop database if exists ${quoteIdent(targetDb)} with (force)`).catch(() => undefined);
            o.log(`Dropped ${targetDb} again (the restore failed; it was created by this run).`);
          }
          throw new UserError(failure);
        }
        o.log(`Restore finished in ${(restoreMs / 1000).toFixed(2)} s. Verifying…`);
      } finally {
        if (admin !== target) await admin.end().catch(() => undefined);
      }
    }
    const { checks, databaseOwner } = await verifyRestored(o, target!);
    rows.push(...checks);
    return { rows, created, isLive, restoreMs, databaseOwner };
  } finally {
    await target?.end().catch(() => undefined);
  }
}

/** The dump file is the one its manifest describes (sha256), or nothing is touched. */
function checkDumpChecksum(o: RestoreOptions): CheckRow {
  const sum = sha256File(o.file);
  if (sum !== o.manifest.sha256) {
    throw new UserError(
      `${o.file} does not match its manifest (sha256 ${sum} vs ${o.manifest.sha256}): the file is damaged or the manifest belongs to another dump.`,
    );
  }
  return {
    check: "dump file sha256",
    expected: o.manifest.sha256.slice(0, 16) + "…",
    actual: sum.slice(0, 16) + "…",
    ok: true,
  };
}

/** A pg_restore for the target server that can read the dump's format. */
function pgRestoreFor(o: RestoreOptions, info: ServerInfo) {
  const pgRestore = findPgTool("pg_restore", info.major, o.pgBin);
  const dumpMajor = Number(o.manifest.pgDump.version.split(".")[0]);
  if (dumpMajor > pgRestore.major) {
    throw new UserError(
      `The dump was written by pg_dump ${o.manifest.pgDump.version}; pg_restore ${pgRestore.version} cannot read it. Restore into a PostgreSQL ${dumpMajor} server or newer.`,
    );
  }
  return pgRestore;
}

/**
 * Whether an existing target may be restored into: empty, or --force (and --overwrite-live for the
 * live database) with no other session connected. True when its contents must be dropped first.
 */
async function mayRestoreInto(
  o: RestoreOptions,
  target: pg.Client,
  targetDb: string,
  isLive: boolean,
): Promise<boolean> {
  const n = await contentCount(target);
  if (n === 0) return false;
  if (isLive && !(o.force && o.overwriteLive)) {
    throw new UserError(
      `Refusing to restore into ${targetDb}: it is the live database (${o.liveLabel}) and holds ${n} objects. ` +
        `Restoring over it replaces the data the app is using. Restore into a new database instead (omit --target), check it, then point DATABASE_URL at it. ` +
        `Only if you really mean to overwrite the live database: stop every app process and worker, take a fresh backup, and add --force --overwrite-live.`,
      2,
    );
  }
  if (!o.force) {
    throw new UserError(
      `Refusing to restore into ${targetDb}: it is not empty (${n} objects). Restore into a new database (omit --target, or name one that does not exist), ` +
        `or add --force to drop and re-create the backup's objects in it (pg_restore --clean).`,
      2,
    );
  }
  const others = await target.query<{ n: string; apps: string | null }>(
    `select count(*)::text as n, string_agg(distinct nullif(application_name, ''), ', ') as apps
       from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`,
  );
  if (Number(others.rows[0]!.n) > 0) {
    throw new UserError(
      `Refusing to restore over ${targetDb}: ${others.rows[0]!.n} other session(s) are connected (${others.rows[0]!.apps ?? "no application name"}). Stop them first.`,
      2,
    );
  }
  o.log(
    `--force: ${targetDb} holds ${n} objects. Its schemas are dropped and the backup restored in ONE transaction${isLive ? " (THE LIVE DATABASE)" : ""}: if anything fails, it stays as it was.`,
  );
  return true;
}

/** Every owner the backup names exists here, and the restoring user may give objects to it. */
async function assertOwnersUsable(admin: pg.ClientBase, info: ServerInfo, manifest: Manifest): Promise<void> {
  const owners = [...new Set([...manifest.state.owners])];
  const missing = [];
  const notMine = [];
  for (const owner of owners) {
    if (!(await roleExists(admin, owner))) missing.push(owner);
    else if (!info.superuser && !(await isMember(admin, info.user, owner))) notMine.push(owner);
  }
  if (missing.length) {
    throw new UserError(
      `The backup's objects are owned by ${missing.join(", ")}, missing on the target server. Create the role(s) first, or add --no-owner to make "${info.user}" own everything.`,
    );
  }
  if (notMine.length) {
    throw new UserError(
      `"${info.user}" cannot give objects to ${notMine.join(", ")} (not a member). Restore as a superuser or as that owner, or add --no-owner.`,
    );
  }
}

/** Creates the target like the source (owner, encoding, locale when it exists here); its owner. */
async function createTargetDatabase(
  o: RestoreOptions,
  admin: pg.ClientBase,
  info: ServerInfo,
  targetDb: string,
): Promise<string> {
  const src = o.manifest.source;
  let owner = info.user;
  if (
    !o.noOwner &&
    src.databaseOwner !== info.user &&
    (await roleExists(admin, src.databaseOwner)) &&
    (info.superuser || (await isMember(admin, info.user, src.databaseOwner)))
  ) {
    owner = src.databaseOwner;
  }
  const base = `create database ${quoteIdent(targetDb)} owner ${quoteIdent(owner)} template template0 encoding ${quoteLiteral(src.encoding)}`;
  try {
    await admin.query(`${base} lc_collate ${quoteLiteral(src.collate)} lc_ctype ${quoteLiteral(src.ctype)}`);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "42501")
      throw new UserError(
        `"${info.user}" may not create databases (${(err as Error).message}). Create ${targetDb} first (owned by it), or restore as a role with CREATEDB.`,
      );
    if (code !== "22023" && code !== "42809" && code !== "XX000") throw err;
    await admin.query(base); // the source's locale does not exist here: the server default
  }
  o.log(`Created database ${targetDb} (owner ${owner}) on ${serverLabel(o.targetUrl)}.`);
  return owner;
}

/** A non-superuser owner of the new database gets the app roles the app switches to (or a warning). */
async function grantAppRoles(o: RestoreOptions, admin: pg.ClientBase, info: ServerInfo, owner: string): Promise<void> {
  if (owner === info.user && info.superuser) return;
  const ownerSuper = (
    await admin.query<{ s: boolean }>("select rolsuper as s from pg_roles where rolname = $1", [owner])
  ).rows[0]?.s;
  if (ownerSuper) return;
  for (const role of APP_ROLES) {
    if (await isMember(admin, owner, role)) continue;
    try {
      await admin.query(`grant ${quoteIdent(role)} to ${quoteIdent(owner)}`);
      o.log(`Granted ${role} to ${owner} (the app switches to it per transaction).`);
    } catch (err) {
      o.log(
        `WARNING: could not grant ${role} to ${owner} (${(err as Error).message}); the app connecting as ${owner} needs it.`,
      );
    }
  }
}

/** Restores the dump in one transaction; the failure message, or null. */
async function restoreDump(
  o: RestoreOptions,
  info: ServerInfo,
  pgRestore: ReturnType<typeof findPgTool>,
  target: pg.Client,
  clean: boolean,
  targetDb: string,
): Promise<string | null> {
  const conn = toolConnection(o.targetUrl);
  const owner = o.noOwner ? ["--no-owner"] : [];
  if (!clean) {
    o.log(`Restoring with pg_restore ${pgRestore.version} (one transaction${o.noOwner ? ", --no-owner" : ""})…`);
    const r = await runTool(
      pgRestore.path,
      ["--exit-on-error", "--single-transaction", "--no-password", `--dbname=${conn.dbname}`, ...owner, o.file],
      conn.env,
    );
    return r.code !== 0
      ? `pg_restore failed (exit ${r.code}); nothing was restored (single transaction):\n${r.stderr.trim()}`
      : null;
  }
  // pg_restore --clean cannot drop partitioned tables' inherited constraints (pg-boss's job
  // partitions), so the old contents are dropped here instead, in the same transaction as
  // the restore: pg_restore writes the SQL script, psql runs it after the drops.
  const psql = findPgTool("psql", info.major, o.pgBin);
  const drop = await dropContentsSql(target);
  o.log(`Replacing the contents with pg_restore ${pgRestore.version} | psql ${psql.version} --single-transaction…`);
  const r = await runPipe(
    { cmd: pgRestore.path, args: ["--file=-", ...owner, o.file], env: process.env },
    {
      cmd: psql.path,
      args: [
        "-X",
        "-q",
        "--no-password",
        "-v",
        "ON_ERROR_STOP=1",
        "--single-transaction",
        "-c",
        drop,
        "-f",
        "-",
        `--dbname=${conn.dbname}`,
      ],
      env: conn.env,
    },
  );
  return r.consumer !== 0 || r.producer !== 0
    ? `restore failed (pg_restore exit ${r.producer}, psql exit ${r.consumer}); the transaction was rolled back, ${targetDb} is unchanged:\n${r.stderr.trim()}`
    : null;
}

/** The restored database against the manifest: state, owners, audit chains, LEAKPROOF marks. */
async function verifyRestored(
  o: RestoreOptions,
  client: pg.Client,
): Promise<{ checks: CheckRow[]; databaseOwner: string }> {
  const rows: CheckRow[] = [];
  const tinfo = await serverInfo(client);
  // A non-superuser owner sees no rows of FORCE-RLS tables unless it switches to beacon_system.
  const actual = await collectState(client, {
    rlsRole: tinfo.superuser || tinfo.bypassRls ? undefined : "beacon_system",
  });
  rows.push(...compareState(o.manifest.state, actual));
  if (o.noOwner) {
    rows.push({
      check: "object owners",
      expected: o.manifest.state.owners.join(", "),
      actual: `${actual.owners.join(", ")} (--no-owner)`,
      ok: null,
    });
  } else {
    const same = o.manifest.state.owners.join(",") === actual.owners.join(",");
    rows.push({
      check: "object owners",
      expected: o.manifest.state.owners.join(", "),
      actual: actual.owners.join(", "),
      ok: same,
    });
  }
  rows.push(...compareAudit(o.manifest.audit, await auditViaApp(o.targetUrl)));
  // The marks live in pg_proc, which a dump does not carry and a new database (template0)
  // lacks: re-applied when the restoring user is a superuser, otherwise a visible warning.
  const lp = o.verifyOnly ? await leakproofState(client) : await ensureLeakproof(client);
  if (!lp.ok) o.log(leakproofWarning(lp));
  rows.push({
    check: "search operators LEAKPROOF",
    expected: LEAKPROOF_NAMES,
    actual: lp.ok ? LEAKPROOF_NAMES : `missing ${lp.missing.join(", ")} (a superuser must mark them)`,
    ok: lp.ok ? true : null,
  });
  return { checks: rows, databaseOwner: tinfo.databaseOwner };
}

/** `npm run audit:verify`'s own code (verifyAllOrgs), pointed at the restored database. */
async function auditViaApp(url: string): Promise<AuditState[] | Error> {
  const before = process.env.DATABASE_URL;
  const beforeWeb = env().DATABASE_WEB_URL;
  try {
    await closeDb();
    // Tenant transactions as the restoring user (switching to beacon_app as always), not as the
    // request login role (decision 027): that role is cluster-wide, may be missing on a new
    // server, and its derived password follows the app owner's, not the restorer's.
    setProcessEnv({ DATABASE_URL: url, DATABASE_WEB_URL: url });
    const r = await verifyAllOrgs();
    return r.map((x) => ({
      slug: x.slug,
      orgId: x.orgId,
      valid: x.valid,
      checked: x.checked,
      firstBrokenSeq: x.firstBrokenSeq,
    }));
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    await closeDb().catch(() => undefined);
    setProcessEnv({ DATABASE_WEB_URL: beforeWeb ?? "" });
    if (before !== undefined) setProcessEnv({ DATABASE_URL: before });
  }
}

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * SQL that empties a database back to what CREATE DATABASE gives (PostgreSQL 15): every schema
 * but the system ones dropped with their contents, extensions but plpgsql dropped, and public
 * re-created as PostgreSQL 15 creates it.
 */
async function dropContentsSql(client: pg.ClientBase): Promise<string> {
  const schemas = await client.query<{ n: string }>(
    `select nspname as n from pg_namespace where nspname not in ('pg_catalog', 'information_schema', 'public')
        and nspname not like 'pg\\_toast%' and nspname not like 'pg\\_temp%' order by 1`,
  );
  const exts = await client.query<{ n: string }>(
    `select extname as n from pg_extension where extname <> 'plpgsql' order by 1`,
  );
  return [
    ...exts.rows.map((r) => `drop extension if exists ${quoteIdent(r.n)} cascade;`),
    ...schemas.rows.map((r) => `drop schema if exists ${quoteIdent(r.n)} cascade;`),
    "drop schema if exists public cascade;",
    "create schema public authorization pg_database_owner;",
    "grant usage on schema public to public;",
    "comment on schema public is 'standard public schema';",
  ].join("\n");
}
