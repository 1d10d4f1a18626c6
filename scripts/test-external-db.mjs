// npm run test:external-db: the integration files whose outcome depends on WHICH PostgreSQL server
// they run on, against DATABASE_URL's server (CI: the machine's PostgreSQL 15 on 127.0.0.1:5432).
//
// `npm test` runs every integration file on a throwaway embedded PostgreSQL. What an external,
// long-lived, shared server changes is listed here, one file per line with the reason it is
// here (decision 049). Everything else (route handlers, domain rules, the worker's queues, email)
// sees the same SQL on both servers, so running it twice proved nothing new for 7 minutes of CI.
// A file that starts to depend on the server (roles, other databases, server settings, the
// server's binaries) belongs in this list.
import fs from "node:fs";
import { spawnSync } from "node:child_process";

export const EXTERNAL_SERVER_FILES = [
  // Roles beacon_app / beacon_web / beacon_system are cluster-wide: on a long-lived server they
  // exist already (from earlier runs and other databases), with whatever password and grants those
  // left; RLS, FORCE, the NOINHERIT login role and the signed org setting must hold anyway.
  ["tests/integration/rls.test.ts", "RLS and the request roles, with the roles already on the server"],
  // Migrations on a cluster that has other databases, concurrent migrators, LEAKPROOF marks that
  // need a superuser, an owner given the roles WITH ADMIN OPTION instead of CREATEROLE.
  [
    "tests/integration/migrate-safety.test.ts",
    "migrations on a non-empty cluster, LEAKPROOF, an owner without CREATEROLE",
  ],
  [
    "tests/integration/automation-defaults.test.ts",
    "a non-superuser owner with CREATEROLE creates roles and migrates on a shared server",
  ],
  // pg_dump / pg_restore are the system's binaries (postgresql-client-15), the server is the
  // machine's: their versions must match and the restore must keep policies and LEAKPROOF marks.
  ["tests/integration/backup-restore.test.ts", "backup and restore with the system pg_dump against the server"],
  [
    "tests/integration/release-check.test.ts",
    "the release check's database checks (LEAKPROOF, roles) on an external DATABASE_URL",
  ],
  // Operations against a server that other clients use too.
  ["tests/integration/readiness.test.ts", "readiness on a server where databases come and go"],
  [
    "tests/integration/db-connection-loss.test.ts",
    "pg_terminate_backend of the app's sessions on a server with other clients",
  ],
  [
    "tests/integration/attachments-no-transaction.test.ts",
    "counts sessions in pg_stat_activity, which shows every database's sessions on a shared server",
  ],
];
// Not here, on purpose: tests/integration/boot.test.ts (its databases are unreachable URLs, the
// server is never asked), operations.test.ts (health and metrics read the file's own database the
// same way on any server), operator-procedures.test.ts (the scripts reach the database through the
// same pool and roles as every other file; what they test is the script, nearly 4 minutes of
// child processes), db-restart.test.ts (starts and restarts an embedded server of its own).

if (import.meta.url === `file://${process.argv[1]}`) {
  if (!process.env.DATABASE_URL) {
    console.error(
      "test:external-db: set DATABASE_URL to the server to test against (a user that may create databases and roles)",
    );
    process.exit(2);
  }
  const missing = EXTERNAL_SERVER_FILES.map(([f]) => f).filter((f) => !fs.existsSync(f));
  if (missing.length > 0) {
    console.error(
      `test:external-db: listed but missing (renamed? update scripts/test-external-db.mjs): ${missing.join(", ")}`,
    );
    process.exit(2);
  }
  const r = spawnSync(
    process.execPath,
    [
      "node_modules/vitest/vitest.mjs",
      "run",
      "--project",
      "integration",
      ...EXTERNAL_SERVER_FILES.map(([f]) => f),
      ...process.argv.slice(2),
    ],
    {
      stdio: "inherit",
      env: { ...process.env, VITEST_JSON: process.env.VITEST_JSON ?? "reports/vitest-external-db.json" },
    },
  );
  process.exit(r.status ?? 1);
}
