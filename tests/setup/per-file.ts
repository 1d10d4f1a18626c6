import { randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, inject } from "vitest";
import { closeDb } from "../../src/server/db/client";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { setProcessEnv } from "../../src/server/env";
import { withDatabase } from "./global";

// Runs before each test file: clone the migrated template into this file's own database, and give
// the file its own data directory (mail spool, local uploads), so two files running at once share
// neither rows nor files.
const adminUrl = inject("adminUrl");
const name = `beacon_t_${inject("runId")}_${randomBytes(4).toString("hex")}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
for (let attempt = 0; ; attempt++) {
  try {
    await admin.query(`create database ${name} template ${inject("templateDb")}`);
    break;
  } catch (err) {
    // 55006: the template is briefly in use by a concurrent clone.
    if ((err as { code?: string }).code !== "55006" || attempt > 50) throw err;
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
}
await admin.end();
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-test-data-"));
setProcessEnv({ DATABASE_URL: withDatabase(adminUrl, name), BEACON_DATA_DIR: dataDir });
resetLimitersForTests();

afterAll(async () => {
  await closeDb();
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  await c.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
  await c.end();
  fs.rmSync(dataDir, { recursive: true, force: true });
});
