import { sql } from "drizzle-orm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { withTenant } from "../../src/server/db/tenant";
import { toAppError } from "../../src/server/core/to-app-error";
import { createOrg, type TestOrg } from "../helpers/factories";

// Found by the cluster test (npm run test:cluster) restarting PostgreSQL under load: a connection
// the server ends while a transaction holds it idle (a worker waiting on SMTP inside its
// transaction) emitted an unhandled 'error' that killed the worker process, and the failed
// ROLLBACK that followed reached clients as 500 instead of 503 unavailable.
let admin: pg.Client;
let org: TestOrg;
beforeAll(async () => {
  admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await admin.connect();
  org = await createOrg();
});
afterAll(async () => {
  await admin.end();
});

describe("the database ends a connection in the middle of a transaction", () => {
  it("fails the transaction as 'unavailable', leaves the process running and the pool usable", async () => {
    const thrown = await withTenant(org.id, async (tx) => {
      const r = await tx.execute<{ pid: number }>(sql`select pg_backend_pid() as pid`);
      // What a fast shutdown does to every backend: FATAL 57P01, here while the client is idle.
      await admin.query("select pg_terminate_backend($1)", [r.rows[0]!.pid]);
      await new Promise((res) => setTimeout(res, 300));
      await tx.execute(sql`select 1`);
    }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(thrown).not.toBeNull();
    expect(toAppError(thrown).code).toBe("unavailable");
    // withTenant's pool (the request login role's, decision 027), not the owner's: the one that lost the connection.
    const r = await withTenant(org.id, (tx) => tx.execute<{ ok: number }>(sql`select 1 as ok`));
    expect(r.rows[0]!.ok).toBe(1);
  });
});
