// db:backup: one consistent logical backup (pg_dump custom format) plus a manifest of what it holds.
//
// Consistency between the dump and its manifest: a REPEATABLE READ transaction exports its
// snapshot; the row counts and audit chains are read inside that transaction, and pg_dump runs
// with --snapshot, so both see exactly the same data while the app keeps writing.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { auditDirect, collectState, MANIFEST_FORMAT, type Manifest } from "./db-state";
import { connect, findPgTool, redactUrl, runTool, serverInfo, toolConnection, UserError, utcStamp } from "./pg-tools";

export type BackupResult = { file: string; manifestFile: string; manifest: Manifest };

export async function runBackup(opts: {
  url: string;
  out?: string;
  dataDir: string;
  pgBin?: string;
  log: (line: string) => void;
}): Promise<BackupResult> {
  const started = performance.now();
  const client = await connect(opts.url);
  let partial: string | undefined;
  try {
    const info = await serverInfo(client);

    // FORCE ROW LEVEL SECURITY applies to the owner too, and pg_dump refuses to write a dump that
    // policies would silently cut short. Say so before starting, with the role to use instead.
    if (!info.superuser && !info.bypassRls) {
      const rls = await client.query<{ t: string }>(
        `select n.nspname || '.' || c.relname as t from pg_class c join pg_namespace n on n.oid = c.relnamespace
          where c.relrowsecurity order by 1`,
      );
      if (rls.rows.length > 0) {
        throw new UserError(
          `Cannot back up as "${info.user}": it is neither a superuser nor BYPASSRLS, and ${rls.rows.length} tables ` +
            `(${rls.rows
              .slice(0, 3)
              .map((r) => r.t)
              .join(", ")}, …) have row-level security, which hides their rows from it ` +
            `(pg_dump would stop with "query would be affected by row-level security policy"). ` +
            `Back up as a role that bypasses row-level security. Once, as a superuser:\n` +
            `  CREATE ROLE beacon_backup LOGIN BYPASSRLS PASSWORD '<choose one>';\n` +
            `  GRANT pg_read_all_data TO beacon_backup;\n` +
            `then run: DATABASE_URL=postgres://beacon_backup:<password>@<host>:<port>/${info.database} npm run db:backup`,
        );
      }
    }

    const pgDump = findPgTool("pg_dump", info.major, opts.pgBin);
    const pgRestore = findPgTool("pg_restore", info.major, opts.pgBin);

    const file = path.resolve(
      opts.out ?? path.join(opts.dataDir, "backups", `beacon-${info.database}-${utcStamp()}.dump`),
    );
    const manifestFile = `${file}.manifest.json`;
    for (const f of [file, manifestFile]) {
      if (fs.existsSync(f))
        throw new UserError(`${f} already exists; choose another --out (a backup is never overwritten).`);
    }
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    partial = `${file}.partial`;
    // Created 0600 before pg_dump opens it, so the data is never readable by others, even briefly.
    fs.closeSync(fs.openSync(partial, "w", 0o600));
    fs.chmodSync(partial, 0o600);

    await client.query("begin isolation level repeatable read, read only");
    const snapshot = (await client.query<{ s: string }>("select pg_export_snapshot() as s")).rows[0]!.s;
    opts.log(`Reading table counts and audit chains in snapshot ${snapshot}…`);
    const state = await collectState(client);
    const audit = await auditDirect(client);

    opts.log(`Dumping ${info.database} with pg_dump ${pgDump.version} (same snapshot)…`);
    const conn = toolConnection(opts.url);
    const dump = await runTool(
      pgDump.path,
      [
        "--format=custom",
        `--snapshot=${snapshot}`,
        "--lock-wait-timeout=60000",
        "--no-password",
        `--file=${partial}`,
        `--dbname=${conn.dbname}`,
      ],
      conn.env,
    );
    await client.query("commit");
    if (dump.code !== 0) {
      const why = dump.stderr.trim();
      if (/row-level security/i.test(why)) {
        throw new UserError(
          `pg_dump refused: ${why}\nBack up as a superuser or a BYPASSRLS role (see docs/runbooks.md#backups-and-restores).`,
        );
      }
      throw new UserError(`pg_dump failed (exit ${dump.code}): ${why}`);
    }

    // The archive's table of contents must carry the data of every table counted, pgboss (jobs)
    // and drizzle (migration log) included.
    const toc = await runTool(pgRestore.path, ["--list", partial], process.env, { captureStdout: true });
    if (toc.code !== 0) throw new UserError(`pg_restore --list could not read the new dump: ${toc.stderr.trim()}`);
    const withData = new Set(
      toc.stdout
        .split("\n")
        .map((l) => /TABLE DATA (\S+) (\S+) /.exec(l))
        .filter((m): m is RegExpExecArray => !!m)
        .map((m) => `${m[1]}.${m[2]}`),
    );
    const missing = Object.entries(state.tables)
      .filter(([name, t]) => t.kind === "r" && !withData.has(name))
      .map(([name]) => name);
    if (missing.length) throw new UserError(`The dump lacks the data of ${missing.join(", ")}; not keeping it.`);

    const sha256 = createHash("sha256");
    const fd = fs.openSync(partial, "r");
    try {
      const buf = Buffer.allocUnsafe(1 << 20);
      for (let n; (n = fs.readSync(fd, buf, 0, buf.length, null)) > 0; ) sha256.update(buf.subarray(0, n));
    } finally {
      fs.closeSync(fd);
    }
    const bytes = fs.statSync(partial).size;
    fs.renameSync(partial, file);
    partial = undefined;

    const u = new URL(opts.url);
    const manifest: Manifest = {
      format: MANIFEST_FORMAT,
      createdAt: new Date().toISOString(),
      file: path.basename(file),
      bytes,
      sha256: sha256.digest("hex"),
      durationMs: Math.round(performance.now() - started),
      source: {
        host: u.hostname,
        port: u.port || "5432",
        database: info.database,
        user: info.user,
        databaseOwner: info.databaseOwner,
        serverVersion: info.version,
        serverVersionNum: info.versionNum,
        encoding: info.encoding,
        collate: info.collate,
        ctype: info.ctype,
      },
      pgDump: { path: pgDump.path, version: pgDump.version },
      snapshot,
      state,
      audit,
    };
    fs.writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n", { mode: 0o600, flag: "wx" });
    return { file, manifestFile, manifest };
  } catch (err) {
    await client.query("rollback").catch(() => undefined);
    if (partial) fs.rmSync(partial, { force: true });
    if (err instanceof UserError) throw err;
    throw new UserError(`Backup of ${redactUrl(opts.url)} failed: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await client.end().catch(() => undefined);
  }
}
