import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET as me } from "../helpers/http";
import { GET as readyz } from "../../src/app/readyz/route";
import { closeDb } from "../../src/server/db/client";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from "../../src/server/db/embedded";
import { prepareDatabase } from "../../src/server/deploy/prepare-database";
import { setProcessEnv } from "../../src/server/env";
import { createOrg, createUser, sessionCookie } from "../helpers/factories";
import { call } from "../helpers/http";
import { freePort } from "../../scripts/lib/local-infra";

// A real PostgreSQL server of this test's own is stopped and started again under a live app:
// requests answer 503 in the JSON error shape while it is down and recover without a restart.
let server: EmbeddedServer;
let dir: string;
let port: number;
const original = process.env.DATABASE_URL!;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-restart-"));
  fs.chmodSync(dir, 0o755);
  // A port the system just handed out (a random one could be taken by another file's server);
  // the restart below comes back on the same port.
  port = await freePort();
  server = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), port });
  await ensureDatabase(server.url("postgres"), "beacon");
  // The deploy step: migrations, and the request login role (with its password: embedded PostgreSQL uses scram).
  await prepareDatabase(server.url("beacon"));
  await closeDb();
  setProcessEnv({ DATABASE_URL: server.url("beacon") });
});

afterAll(async () => {
  await closeDb();
  setProcessEnv({ DATABASE_URL: original });
  await server.stop().catch(() => undefined);
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("database restart under a running app", () => {
  it("answers 503 while the database is down and recovers on its own", async () => {
    const org = await createOrg();
    const cookie = await sessionCookie(await createUser(org));
    expect((await call(me, "GET", "/api/v1/me", { cookie })).status).toBe(200);
    expect((await readyz()).status).toBe(200);

    await server.stop();
    const down = await call(me, "GET", "/api/v1/me", { cookie });
    expect(down.status).toBe(503);
    expect(down.body.error.code).toBe("unavailable");
    expect((await readyz()).status).toBe(503);

    server = await startEmbeddedPostgres({ dataDir: path.join(dir, "data"), port });
    expect((await call(me, "GET", "/api/v1/me", { cookie })).status).toBe(200);
    expect((await readyz()).status).toBe(200);
  }, 60_000);
});
