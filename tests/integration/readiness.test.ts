import pg from "pg";
import { describe, expect, it } from "vitest";
import { GET as healthz } from "../../src/app/healthz/route";
import { GET as readyz } from "../../src/app/readyz/route";
import { closeDb } from "../../src/server/db/client";
import { migrationStatus } from "../../src/server/db/migrations";
import { setProcessEnv } from "../../src/server/env";

describe("health endpoints", () => {
  it("/healthz answers without touching the database", async () => {
    const good = process.env.DATABASE_URL!;
    await closeDb();
    setProcessEnv({ DATABASE_URL: "postgres://nobody@127.0.0.1:9/none" });
    try {
      const r = healthz();
      expect(r.status).toBe(200);
    } finally {
      await closeDb();
      setProcessEnv({ DATABASE_URL: good });
    }
  });

  it("/readyz is 200 on a migrated database", async () => {
    const r = await readyz();
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({ status: "ready", db: { ok: true }, migrations: { pending: 0 } });
    expect(body.migrations.applied).toBeGreaterThanOrEqual(2);
  });

  it("/readyz is 503 while a migration is pending", async () => {
    const good = process.env.DATABASE_URL!;
    const c = new pg.Client({ connectionString: good });
    await c.connect();
    const before = await migrationStatus(c);
    await c.query("begin");
    // Pretend the newest migration has not run.
    await c.query("delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)");
    await c.query("commit");
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect((await r.json()).migrations.pending).toBe(1);
    } finally {
      await c.end();
    }
    expect(before.pending).toEqual([]);
  });

  it("/readyz is 503 when the database is unreachable", async () => {
    const good = process.env.DATABASE_URL!;
    await closeDb();
    setProcessEnv({ DATABASE_URL: "postgres://nobody@127.0.0.1:9/none" });
    try {
      const r = await readyz();
      expect(r.status).toBe(503);
      expect(await r.json()).toMatchObject({ status: "not_ready", db: { ok: false } });
    } finally {
      await closeDb();
      setProcessEnv({ DATABASE_URL: good });
    }
  });
});
