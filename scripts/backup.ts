// npm run db:backup [-- --out <file>] [--pg-bin <dir>]
// A consistent logical backup (pg_dump custom format) of DATABASE_URL's database, or of the
// embedded one (started for the backup and stopped afterwards when it was not running), plus
// <file>.manifest.json: row counts per table, RLS flags, policies, grants, migration log and
// each org's audit chain, all read in the dump's own snapshot. `npm run db:restore` checks a
// restore against it. Exit codes: 0 written, 1 failed, 2 bad arguments.
import path from "node:path";
import { parseArgs } from "node:util";
import { boot } from "./lib/boot";
import { runBackup } from "./lib/backup";
import { formatBytes, redactUrl, UserError } from "./lib/pg-tools";

let values: { out?: string; "pg-bin"?: string; help?: boolean };
try {
  ({ values } = parseArgs({
    options: { out: { type: "string" }, "pg-bin": { type: "string" }, help: { type: "boolean", short: "h" } },
  }));
} catch (err) {
  console.error(`${(err as Error).message}\nUsage: npm run db:backup [-- --out <file>] [--pg-bin <dir>]`);
  process.exit(2);
}
if (values.help) {
  console.log(
    "Usage: npm run db:backup [-- --out <file>] [--pg-bin <dir>]\nDefault file: .data/backups/beacon-<db>-<UTC time>.dump (mode 0600), with <file>.manifest.json beside it.",
  );
  process.exit(0);
}

const booted = await boot();
let code = 0;
try {
  const url = process.env.DATABASE_URL!;
  const r = await runBackup({
    url,
    out: values.out,
    dataDir: booted.env.BEACON_DATA_DIR,
    pgBin: values["pg-bin"],
    log: (l) => console.log(l),
  });
  const m = r.manifest;
  const rows = Object.values(m.state.tables).reduce((n, t) => n + t.rows, 0);
  const rel = (p: string) => (path.relative(process.cwd(), p).startsWith("..") ? p : path.relative(process.cwd(), p));
  console.log(`\nBackup written: ${rel(r.file)}`);
  console.log(
    `  size ${formatBytes(m.bytes)}, took ${(m.durationMs / 1000).toFixed(2)} s, sha256 ${m.sha256.slice(0, 16)}…`,
  );
  console.log(
    `  from ${redactUrl(url)} (PostgreSQL ${m.source.serverVersion}, as ${m.source.user}) with pg_dump ${m.pgDump.version}`,
  );
  console.log(
    `  manifest ${rel(r.manifestFile)}: ${Object.keys(m.state.tables).length} tables, ${rows} rows, ${m.state.migrations.applied.length} migrations applied`,
  );
  const events = m.audit.reduce((n, a) => n + a.checked, 0);
  const broken = m.audit.filter((a) => !a.valid);
  console.log(
    `  audit chains: ${m.audit.length} org(s), ${events} events, ${broken.length ? `${broken.length} BROKEN` : "all valid"}`,
  );
  for (const b of broken)
    console.log(
      `  WARNING: the audit chain of ${b.slug} is already broken at seq ${b.firstBrokenSeq} in the source database`,
    );
  console.log(`Restore and verify it with: npm run db:restore -- ${rel(r.file)}`);
} catch (err) {
  console.error(
    err instanceof UserError
      ? err.message
      : `Backup failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`,
  );
  code = 1;
} finally {
  await booted.shutdown();
  if (booted.embedded) console.log("Stopped the embedded PostgreSQL again (it was not running before the backup).");
}
process.exit(code);
