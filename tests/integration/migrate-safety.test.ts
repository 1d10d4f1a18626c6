// The deploy step on real PostgreSQL: two migrations at once on an empty database (issue 21 §3),
// the LEAKPROOF marks a non-superuser cannot set (issue 21 §4) and a failed migration's message.
import { randomBytes } from "node:crypto";
import pg from "pg";
import { afterAll, describe, expect, inject, it } from "vitest";
import { withDatabase } from "../setup/global";
import { runScript } from "../helpers/run-script";
import { prepareDatabase } from "../../src/server/deploy/prepare-database";
import { ensureLeakproof, leakproofState } from "../../src/server/db/leakproof";
import { derivedWebPassword } from "../../src/server/db/roles";
import { health } from "../../src/server/health/health";

const adminUrl = inject("adminUrl");
const prefix = `beacon_t_${inject("runId")}_m${randomBytes(3).toString("hex")}`;
const databases: string[] = [];
const roles: string[] = [];

async function admin<T extends pg.QueryResultRow>(text: string, url = adminUrl): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text)).rows;
  } finally {
    await c.end();
  }
}

async function freshDatabase(owner?: string): Promise<string> {
  const name = `${prefix}_${databases.length}`;
  databases.push(name);
  await admin(`create database ${name}${owner ? ` owner ${owner}` : ""}`);
  return name;
}

/** A LOGIN role (the machine's and the test's PostgreSQL trust loopback or share the admin's password). */
async function loginRole(attrs: string): Promise<{ name: string; url: (db: string) => string }> {
  const name = `${prefix}_r${roles.length}`;
  roles.push(name);
  const password = new URL(adminUrl).password;
  await admin(`create role ${name} login ${attrs}${password ? ` password '${password}'` : ""}`);
  return {
    name,
    url: (db) => {
      const u = new URL(withDatabase(adminUrl, db));
      u.username = name;
      return u.toString();
    },
  };
}

/** `npm run db:migrate` against url; its stdout and stderr together. */
async function migrateProcess(url: string, env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  const r = await runScript("migrate.ts", [], { env: { DATABASE_URL: url, NODE_ENV: "development", ...env } });
  return { code: r.code, out: r.stdout + r.stderr };
}

afterAll(async () => {
  for (const d of databases) await admin(`drop database if exists ${d} with (force)`).catch(() => undefined);
  for (const r of roles) await admin(`drop role if exists ${r}`).catch(() => undefined);
});

describe("two migrations at once on an empty database", () => {
  it("both succeed, every time (in process, separate connections)", { timeout: 120_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const url = withDatabase(adminUrl, await freshDatabase());
      const results = await Promise.allSettled([prepareDatabase(url), prepareDatabase(url)]);
      for (const r of results) {
        if (r.status === "rejected") throw r.reason;
        expect(r.value.pending).toEqual([]);
      }
      const queues = await admin<{ n: string }>(`select count(*)::text as n from pgboss.queue`, url);
      expect(Number(queues[0]!.n)).toBeGreaterThan(0);
    }
  });

  it("two `npm run db:migrate` processes both exit 0", { timeout: 120_000 }, async () => {
    const url = withDatabase(adminUrl, await freshDatabase());
    const [a, b] = await Promise.all([migrateProcess(url), migrateProcess(url)]);
    expect(a.out).toMatch(/Migrations: \d+ applied, 0 pending/);
    expect([a.code, b.code, b.out]).toEqual([0, 0, expect.stringMatching(/Migrations: \d+ applied, 0 pending/)]);
  });
});

describe("search operators LEAKPROOF", () => {
  it(
    "a non-superuser migration warns with the statements (search and custom-field filters) and the database; a superuser's sets them",
    { timeout: 120_000 },
    async () => {
      const owner = await loginRole("createrole");
      const db = await freshDatabase(owner.name);
      // Marks live in pg_proc, per database; template1 may carry them from elsewhere: start without.
      await admin(
        `alter function ts_match_vq(tsvector, tsquery) not leakproof; alter function texticlike(text, text) not leakproof`,
        withDatabase(adminUrl, db),
      );
      const r = await migrateProcess(owner.url(db));
      expect(r.code).toBe(0);
      expect(r.out).toContain(`WARNING: search operators are not LEAKPROOF in database "${db}"`);
      expect(r.out).toContain("ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;");
      expect(r.out).toContain("ALTER FUNCTION texticlike(text, text) LEAKPROOF;");
      // Migration 0024's marks for custom-field filters could not be set by this owner either.
      expect(r.out).toContain("ALTER FUNCTION jsonb_contains(jsonb, jsonb) LEAKPROOF;");
      expect(r.out).toContain("ALTER FUNCTION beacon_org_custom_fields(uuid, jsonb) LEAKPROOF;");

      const c = new pg.Client({ connectionString: withDatabase(adminUrl, db) });
      await c.connect();
      try {
        expect(await leakproofState(c)).toMatchObject({
          ok: false,
          database: db,
          missing: [
            "ts_match_vq(tsvector, tsquery)",
            "texticlike(text, text)",
            "jsonb_contains(jsonb, jsonb)",
            "beacon_org_custom_fields(uuid, jsonb)",
          ],
        });
        // The superuser's migrate step (here: its LEAKPROOF part) repairs them.
        expect(await ensureLeakproof(c)).toMatchObject({ ok: true, missing: [] });
      } finally {
        await c.end();
      }
      const again = await migrateProcess(owner.url(db));
      expect(again.code).toBe(0);
      expect(again.out).not.toContain("LEAKPROOF");
    },
  );

  it("/api/health reports missing marks as degraded with the reason", async () => {
    const url = process.env.DATABASE_URL!;
    const ok = await health();
    expect(ok.search).toMatchObject({ ok: true }); // other rows (jobs, mail) may be degraded in a test
    await admin(`alter function ts_match_vq(tsvector, tsquery) not leakproof`, url);
    try {
      const bad = await health();
      expect(bad.status).toBe("degraded");
      expect(bad.search.ok).toBe(false);
      expect(bad.search.detail).toContain("ALTER FUNCTION ts_match_vq(tsvector, tsquery) LEAKPROOF;");
    } finally {
      await admin(`alter function ts_match_vq(tsvector, tsquery) leakproof`, url);
    }
  });
});

describe("a failed migration", () => {
  it("prints PostgreSQL's own message, not only `Failed query`", { timeout: 60_000 }, async () => {
    const owner = await loginRole("nocreaterole");
    const db = await freshDatabase(owner.name);
    await expect(prepareDatabase(owner.url(db))).rejects.toMatchObject({
      code: "42501",
      message: expect.stringMatching(
        /^(must have admin option|permission denied).*\(SQLSTATE 42501\)\n(.|\n)*in the statement: DO \$\$/,
      ),
    });
    const r = await migrateProcess(owner.url(db));
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Migration failed: (must have admin option|permission denied)[^\n]*\(SQLSTATE 42501\)/);
  });
});

describe("the request login role", () => {
  it(
    "an owner a DBA gave the app roles WITH ADMIN OPTION, but not CREATEROLE, gets the statements, then works with DATABASE_WEB_URL",
    { timeout: 120_000 },
    async () => {
      await prepareDatabase(withDatabase(adminUrl, await freshDatabase())); // the roles exist on this cluster
      const owner = await loginRole("nocreaterole");
      await admin(`grant beacon_app, beacon_system to ${owner.name} with admin option`);
      const db = await freshDatabase(owner.name);

      const refused = await migrateProcess(owner.url(db));
      expect(refused.code).toBe(1);
      expect(refused.out).toContain("Migration failed:");
      expect(refused.out).toContain(
        "CREATE ROLE beacon_web LOGIN NOINHERIT NOBYPASSRLS PASSWORD '<a new password>'; GRANT beacon_app TO beacon_web;",
      );
      expect(refused.out).toContain("set DATABASE_WEB_URL");

      // The DBA's role, named by DATABASE_WEB_URL. The first prepareDatabase above made beacon_web with
      // the password derived from the admin's; the owner shares that password (loginRole), so it
      // derives the same one. The machine's server trusts loopback: no password there at all.
      const webUrl = new URL(owner.url(db));
      webUrl.username = "beacon_web";
      webUrl.password = derivedWebPassword(owner.url(db)) ?? "";
      const ok = await migrateProcess(owner.url(db), { DATABASE_WEB_URL: webUrl.toString() });
      expect(ok.out).toMatch(/Migrations: \d+ applied, 0 pending/);
      expect(ok.code).toBe(0);

      // A DATABASE_WEB_URL naming a role that could become beacon_system is refused.
      const bad = await migrateProcess(owner.url(db), { DATABASE_WEB_URL: owner.url(db) });
      expect(bad.code).toBe(1);
      expect(bad.out).toContain(`${owner.name} is also a member of beacon_system (must be beacon_app only)`);
    },
  );
});
