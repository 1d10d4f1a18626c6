// npm run db:restore -- <file.dump> [--target <database name | postgres:// URL>] [--force [--overwrite-live]]
//                       [--verify-only] [--no-owner] [--manifest <file>] [--pg-bin <dir>]
// Restores a db:backup dump into an EMPTY database (created when missing; by default
// <db>_restore_<UTC time> on the same server as DATABASE_URL or the embedded default), then
// verifies it against the manifest and prints a pass/fail table.
// Exit codes: 0 restored and verified, 1 restore or verification failed, 2 refused / bad arguments.
import { parseArgs } from "node:util";
import { boot, EMBEDDED_DATABASE, EMBEDDED_PORT, type Booted } from "./lib/boot";
import { envOrExit } from "../src/server/env";
import { closeDb } from "../src/server/db/client";
import { readManifest, runRestore } from "./lib/restore";
import { databaseOf, redactUrl, serverLabel, UserError, utcStamp, withDatabase } from "./lib/pg-tools";
import { renderTable, statusOf } from "./lib/report-table";

const USAGE = `Usage: npm run db:restore -- <file.dump> [--target <database name | postgres:// URL>] [--force [--overwrite-live]]
                         [--verify-only] [--no-owner] [--manifest <file>] [--pg-bin <dir>]
  --target         where to restore (default: <db>_restore_<UTC time> on the same server as DATABASE_URL / the embedded default)
  --force          allow a non-empty target: pg_restore --clean drops and re-creates the backup's objects in it
  --overwrite-live with --force, allow the target to be the live database itself (stop the app first)
  --verify-only    restore nothing; compare the target database with the backup's manifest
  --no-owner       let the restoring user own everything (when the original owner role does not exist there)`;

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      target: { type: "string" },
      force: { type: "boolean" },
      "overwrite-live": { type: "boolean" },
      "verify-only": { type: "boolean" },
      "no-owner": { type: "boolean" },
      manifest: { type: "string" },
      "pg-bin": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
}
try {
  parsed = parse();
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length !== 1) {
  console.error(
    `${positionals.length ? "Give exactly one dump file." : "Which dump? Give the file that npm run db:backup printed."}\n${USAGE}`,
  );
  process.exit(2);
}
const file = positionals[0]!;

const env = envOrExit();
const targetIsUrl = /^postgres(ql)?:\/\//i.test(values.target ?? "");
let booted: Booted | null = null;
let liveUrl: string;
if (env.DATABASE_URL) liveUrl = env.DATABASE_URL;
else if (targetIsUrl) liveUrl = `postgres://postgres@127.0.0.1:${EMBEDDED_PORT}/${EMBEDDED_DATABASE}`;
else {
  booted = await boot();
  liveUrl = process.env.DATABASE_URL!;
}

let code = 0;
try {
  const manifest = readManifest(values.manifest ?? `${file}.manifest.json`);
  let targetUrl: string;
  if (targetIsUrl) targetUrl = values.target!;
  else {
    const name = values.target ?? `${manifest.source.database}_restore_${utcStamp().toLowerCase()}`.slice(0, 63);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_$-]{0,62}$/.test(name))
      throw new UserError(
        `"${name}" is not a database name this tool accepts (letters, digits, _ $ -; at most 63).`,
        2,
      );
    targetUrl = withDatabase(liveUrl, name);
  }
  if (values["overwrite-live"] && !values.force)
    throw new UserError("--overwrite-live only means something together with --force.", 2);

  const verifyOnly = !!values["verify-only"];
  console.log(
    `${verifyOnly ? "Verifying" : "Restoring"} ${file} (taken ${manifest.createdAt} from ${manifest.source.database} on ${manifest.source.host}:${manifest.source.port}) ` +
      `${verifyOnly ? "against" : "into"} ${databaseOf(targetUrl)} on ${serverLabel(targetUrl)}`,
  );
  const r = await runRestore({
    file,
    manifest,
    targetUrl,
    liveUrl,
    liveLabel: env.DATABASE_URL ? "DATABASE_URL" : "the embedded default",
    force: !!values.force,
    overwriteLive: !!values["overwrite-live"],
    verifyOnly,
    noOwner: !!values["no-owner"],
    pgBin: values["pg-bin"],
    log: (l) => console.log(l),
  });

  console.log("");
  console.log(
    renderTable(
      ["check", "result", "backup", "restored"],
      r.rows.map((x) => [x.check, statusOf(x.ok), x.expected, x.actual]),
    ),
  );
  const failed = r.rows.filter((x) => x.ok === false);
  const passed = r.rows.filter((x) => x.ok === true).length;
  console.log("");
  if (failed.length) {
    console.log(
      `VERIFY FAILED: ${failed.length} of ${r.rows.length} checks failed (${failed
        .map((x) => x.check)
        .slice(0, 5)
        .join("; ")}${failed.length > 5 ? "; …" : ""}).`,
    );
    console.log(`${databaseOf(targetUrl)} does not hold what the backup holds. Do not point the app at it.`);
    code = 1;
  } else {
    console.log(
      `VERIFIED: ${passed} checks passed${r.rows.length - passed ? `, ${r.rows.length - passed} skipped` : ""}.${r.restoreMs !== null ? ` Restore took ${(r.restoreMs / 1000).toFixed(2)} s.` : ""}`,
    );
    const db = databaseOf(targetUrl);
    const embedded = !env.DATABASE_URL && !targetIsUrl;
    if (r.isLive) console.log("The restored data is in the live database; restart the app processes.");
    else if (embedded) {
      // The embedded server's password is the documented loopback-only one, so the URL is shown whole.
      console.log(`The restored copy is database ${db} of the embedded server: ${targetUrl}`);
      console.log(
        `While npm start runs, other commands can read it, e.g. DATABASE_URL=${targetUrl} npm run audit:verify`,
      );
      console.log(
        `The demo always serves the database "${EMBEDDED_DATABASE}". To serve the backup there instead, stop npm start, then:`,
      );
      console.log(
        `  npm run db:restore -- ${file} --target ${EMBEDDED_DATABASE} --force --overwrite-live && npm start`,
      );
    } else {
      console.log(
        "To run the app on it, set DATABASE_URL to the restored database and restart every app process and worker:",
      );
      const u = new URL(targetUrl);
      if (r.databaseOwner !== decodeURIComponent(u.username)) {
        // The app connects as the database owner (not a superuser), as it did to the source.
        u.username = r.databaseOwner;
        u.password = "";
        console.log(
          `  DATABASE_URL='${u.toString().replace(`${r.databaseOwner}@`, `${r.databaseOwner}:<password>@`)}'   (as the database owner ${r.databaseOwner}, like the source)`,
        );
      } else {
        console.log(
          `  DATABASE_URL='${redactUrl(targetUrl)}'${u.password ? `   (*** = the password of ${u.username})` : ""}`,
        );
      }
      console.log("  npm run db:migrate -- --status   # then: same migrations as before, exit 0");
    }
  }
} catch (err) {
  if (err instanceof UserError) {
    console.error(err.message);
    code = err.exitCode;
  } else {
    console.error(`Restore failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    code = 1;
  }
} finally {
  await closeDb().catch(() => undefined);
  await booted?.shutdown();
  if (booted?.embedded) console.log("Stopped the embedded PostgreSQL again (it was not running before the restore).");
}
process.exit(code);
