import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import type { TestProject } from "vitest/node";
import { startEmbeddedPostgres, type EmbeddedServer } from "../../src/server/db/embedded";
import { prepareDatabase } from "../../src/server/deploy/prepare-database";
import { freePort } from "../../scripts/lib/local-infra";

// One migrated template database per run; every test file clones its own database from it
// (tests/setup/per-file.ts), so files run in parallel without sharing rows.
// With DATABASE_URL set, that server is used (its user must be allowed to create databases);
// without it, a throwaway embedded PostgreSQL is started in a temp directory on a free port.
// Only the integration project runs this (vitest.config.ts): unit tests need no database.

declare module "vitest" {
  export interface ProvidedContext {
    adminUrl: string;
    templateDb: string;
    runId: string;
  }
}

let embedded: EmbeddedServer | undefined;
let tmpDir: string | undefined;

export default async function setup(project: TestProject) {
  const runId = `${process.pid}_${Date.now().toString(36)}`;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-test-pg-"));
    fs.chmodSync(tmpDir, 0o755);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(tmpDir, "data"), port: await freePort() });
    adminUrl = embedded.url("postgres");
  }
  const templateDb = `beacon_tpl_${runId}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${templateDb}`);
  await admin.end();
  await prepareDatabase(withDatabase(adminUrl, templateDb));

  project.provide("adminUrl", adminUrl);
  project.provide("templateDb", templateDb);
  project.provide("runId", runId);

  return async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    const dbs = await c.query<{ datname: string }>(
      `select datname from pg_database where datname like $1 or datname = $2`,
      [`beacon_t_${runId}_%`, templateDb],
    );
    for (const { datname } of dbs.rows) {
      await c.query(`drop database if exists ${datname} with (force)`).catch(() => undefined);
    }
    await c.end();
    await embedded?.stop();
    if (tmpDir) fs.rmSync(tmpDir, { recursive: true, force: true });
  };
}

export function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}
