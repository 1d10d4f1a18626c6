import pg from "pg";
import { describe, expect, inject, it } from "vitest";
import { withDatabase } from "../setup/global";
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
    await c.query(
      "delete from drizzle.__drizzle_migrations where created_at = (select max(created_at) from drizzle.__drizzle_migrations)",
    );
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

  it("an empty database has every migration pending", async () => {
    const name = `beacon_t_${inject("runId")}_empty`;
    const admin = new pg.Client({ connectionString: inject("adminUrl") });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const c = new pg.Client({ connectionString: withDatabase(inject("adminUrl"), name) });
    await c.connect();
    try {
      const s = await migrationStatus(c);
      expect(s.applied).toEqual([]);
      expect(s.pending.slice(0, 2)).toEqual(["0000_init", "0001_rls"]);
    } finally {
      await c.end();
      await admin.query(`drop database ${name}`);
      await admin.end();
    }
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
