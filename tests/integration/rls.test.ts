import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { OWNER_TENANT_SQL, unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { db, pool } from "../../src/server/db/client";
import type { Principal } from "../../src/server/auth/principal";
import { capturingDb } from "../../scripts/bench/lib/capture";
import { tickets } from "../../src/server/db/schema/tickets";
import { users } from "../../src/server/db/schema/users";
import { createOrg, createUser, type TestOrg, type TestUser } from "../helpers/factories";

let a: TestOrg, b: TestOrg, userA: TestUser, userB: TestUser;

beforeAll(async () => {
  a = await createOrg();
  b = await createOrg();
  userA = await createUser(a, { role: "customer" });
  userB = await createUser(b, { role: "customer" });
  await unsafeWithSystem(async (tx) => {
    await tx.insert(tickets).values([
      { orgId: a.id, number: 1, subject: "A's ticket", requesterId: userA.id },
      { orgId: b.id, number: 1, subject: "B's ticket", requesterId: userB.id },
    ]);
  });
});

describe("row-level security", () => {
  it("a query with no org filter returns only the request's org rows", async () => {
    const seen = await withTenant(a.id, (tx) =>
      tx.select({ orgId: tickets.orgId, subject: tickets.subject }).from(tickets),
    );
    expect(seen).toEqual([{ orgId: a.id, subject: "A's ticket" }]);
    const people = await withTenant(a.id, (tx) => tx.select({ orgId: users.orgId }).from(users));
    expect(people.map((p) => p.orgId)).toEqual([a.id]);
    const raw = await withTenant(a.id, (tx) => tx.execute<{ n: string }>(sql`select count(*)::text as n from tickets`));
    expect(raw.rows[0]!.n).toBe("1");
  });

  it("refuses an insert carrying another org's id", async () => {
    await expect(
      withTenant(a.id, (tx) =>
        tx.insert(tickets).values({ orgId: b.id, number: 2, subject: "sneaky", requesterId: userB.id }),
      ),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
    const count = await unsafeWithSystem((tx) =>
      tx.execute<{ n: string }>(sql`select count(*)::text as n from tickets where subject = 'sneaky'`),
    );
    expect(count.rows[0]!.n).toBe("0");
  });

  it("an update or delete aimed at another org's rows touches nothing", async () => {
    const updated = await withTenant(a.id, (tx) => tx.update(tickets).set({ subject: "hijacked" }).returning());
    expect(updated.map((t) => t.orgId)).toEqual([a.id]);
    const deleted = await withTenant(a.id, (tx) => tx.execute(sql`delete from users where org_id = ${b.id}`));
    expect(deleted.rowCount).toBe(0);
    const bTicket = await unsafeWithSystem((tx) =>
      tx.execute<{ subject: string }>(sql`select subject from tickets where org_id = ${b.id}`),
    );
    expect(bTicket.rows[0]!.subject).toBe("B's ticket");
  });

  it("sees nothing when no org is set in the transaction", async () => {
    const rows = await db().transaction(async (tx) => {
      await tx.execute(sql`select set_config('role', 'beacon_app', true)`);
      return tx.select().from(tickets);
    });
    expect(rows).toEqual([]);
  });

  it("every table with an org_id has RLS enabled and forced", async () => {
    const r = await db().execute<{ relname: string; enabled: boolean; forced: boolean }>(sql`
      select c.relname, c.relrowsecurity as enabled, c.relforcerowsecurity as forced
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind = 'r'
        and (exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
             or c.relname = 'orgs')`);
    expect(r.rows.length).toBeGreaterThanOrEqual(14);
    for (const t of r.rows)
      expect({ table: t.relname, enabled: t.enabled, forced: t.forced }).toEqual({
        table: t.relname,
        enabled: true,
        forced: true,
      });
  });

  it("the app roles cannot bypass RLS and the app role cannot rewrite the audit chain", async () => {
    const roles = await db().execute<{ rolname: string; rolbypassrls: boolean; rolsuper: boolean }>(
      sql`select rolname, rolbypassrls, rolsuper from pg_roles where rolname in ('beacon_app', 'beacon_system') order by rolname`,
    );
    expect(roles.rows).toEqual([
      { rolname: "beacon_app", rolbypassrls: false, rolsuper: false },
      { rolname: "beacon_system", rolbypassrls: false, rolsuper: false },
    ]);
    const priv = await db().execute<{ upd: boolean; del: boolean; ins: boolean }>(sql`
      select has_table_privilege('beacon_app', 'audit_events', 'UPDATE') as upd,
             has_table_privilege('beacon_app', 'audit_events', 'DELETE') as del,
             has_table_privilege('beacon_app', 'audit_events', 'INSERT') as ins`);
    expect(priv.rows[0]).toEqual({ upd: false, del: false, ins: true });
    // Worker heartbeats feed /api/health; a request must not be able to forge a live worker.
    const beats = await db().execute<{ sel: boolean; ins: boolean; upd: boolean }>(sql`
      select has_table_privilege('beacon_app', 'worker_heartbeats', 'SELECT') as sel,
             has_table_privilege('beacon_app', 'worker_heartbeats', 'INSERT') as ins,
             has_table_privilege('beacon_app', 'worker_heartbeats', 'UPDATE') as upd`);
    expect(beats.rows[0]).toEqual({ sel: false, ins: false, upd: false });
  });

  // worker_heartbeats is not tenant data: one row per worker process, read by /api/health (decision 028).
  it("unique indexes and foreign keys between tenant tables include org_id", async () => {
    const idx = await db().execute<{ indexname: string; indexdef: string }>(sql`
      select i.indexname, i.indexdef from pg_indexes i
      join pg_index x on x.indexrelid = (quote_ident(i.schemaname) || '.' || quote_ident(i.indexname))::regclass
      where i.schemaname = 'public' and x.indisunique and i.tablename not in ('orgs', 'feature_flags', 'worker_heartbeats', 'email_address_claims')`);
    // (email_address_claims: SPEC §11's one org per support address, no org_id; tests/integration/citus-ready.test.ts)
    for (const i of idx.rows) expect(i.indexdef, i.indexname).toMatch(/org_id/);
    const fks = await db().execute<{ conname: string; def: string }>(sql`
      select conname, pg_get_constraintdef(oid) as def from pg_constraint
      where contype = 'f' and connamespace = 'public'::regnamespace and confrelid <> 'orgs'::regclass`);
    expect(fks.rows.length).toBeGreaterThan(5);
    for (const f of fks.rows) expect(f.def, f.conname).toMatch(/^FOREIGN KEY \(org_id, /);
  });
});

describe("a non-superuser owner that forgets to switch role", () => {
  it("sees no tenant rows even though it is a member of both app roles", async () => {
    const role = `beacon_owner_probe_${Date.now()}`;
    await db().execute(sql.raw(`create role ${role} nosuperuser nobypassrls inherit`));
    try {
      await db().execute(sql.raw(`grant beacon_app, beacon_system to ${role}`));
      await db().execute(sql.raw(`grant select on all tables in schema public to ${role}`));
      const seen = await db().transaction(async (tx) => {
        await tx.execute(sql.raw(`set local role ${role}`));
        const t = await tx.execute<{ n: string }>(sql`select count(*)::text as n from tickets`);
        const u = await tx.execute<{ n: string }>(sql`select count(*)::text as n from users`);
        return [t.rows[0]!.n, u.rows[0]!.n];
      });
      expect(seen).toEqual(["0", "0"]);
      // …and after switching to the system role it does see them (the documented path).
      const system = await db().transaction(async (tx) => {
        await tx.execute(sql.raw(`set local role ${role}`));
        await tx.execute(sql`select set_config('role', 'beacon_system', true)`);
        return (await tx.execute<{ n: string }>(sql`select count(*)::text as n from tickets`)).rows[0]!.n;
      });
      expect(Number(system)).toBeGreaterThanOrEqual(2);
    } finally {
      await db().execute(sql.raw(`revoke all on all tables in schema public from ${role}`));
      await db().execute(sql.raw(`drop owned by ${role}`));
      await db().execute(sql.raw(`drop role ${role}`));
    }
  });
});

describe("the request login role (an SQL injection's view)", () => {
  const escape = (q: string) => withTenant(a.id, (tx) => tx.execute(sql.raw(q)));

  it("connects as beacon_web, a NOINHERIT member of beacon_app only", async () => {
    const who = await withTenant(a.id, (tx) =>
      tx.execute<{ session_user: string; current_user: string }>(sql`select session_user, current_user`),
    );
    expect(who.rows[0]).toEqual({ session_user: "beacon_web", current_user: "beacon_app" });
    const r = await db().execute<{
      rolinherit: boolean;
      rolsuper: boolean;
      rolbypassrls: boolean;
      member_of: string[];
    }>(sql`
      select rolinherit, rolsuper, rolbypassrls,
             array(select g.rolname::text from pg_auth_members m join pg_roles g on g.oid = m.roleid where m.member = r.oid) as member_of
        from pg_roles r where rolname = 'beacon_web'`);
    expect(r.rows[0]).toEqual({ rolinherit: false, rolsuper: false, rolbypassrls: false, member_of: ["beacon_app"] });
  });

  it("cannot switch to beacon_system, nor to the owner", async () => {
    await expect(escape("set role beacon_system")).rejects.toMatchObject({ cause: { code: "42501" } });
    await expect(escape("select set_config('role', 'beacon_system', true)")).rejects.toMatchObject({
      cause: { code: "42501" },
    });
    const owner = (await db().execute<{ u: string }>(sql`select current_user as u`)).rows[0]!.u;
    await expect(escape(`set role "${owner}"`)).rejects.toMatchObject({ cause: { code: "42501" } });
    await expect(escape("set session authorization postgres")).rejects.toMatchObject({ cause: { code: "42501" } });
  });

  it("after RESET ROLE it holds no privileges of its own", async () => {
    await expect(escape("reset role; select count(*) from tickets")).rejects.toMatchObject({
      cause: { code: "42501" },
    });
    await expect(
      withTenant(a.id, async (tx) => {
        await tx.execute(sql`reset role`);
        return tx.execute(sql`select count(*) from tickets`);
      }),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
  });
});

describe("the signed org setting (an SQL injection's view)", () => {
  const count = (orgId: string, q: string) =>
    withTenant(orgId, (tx) => tx.execute<{ n: string }>(sql.raw(q))).then((r) => {
      // Several statements in one string answer one result each.
      const last = (Array.isArray(r) ? r.at(-1) : r) as { rows: { n: string }[] };
      return last.rows[0]!.n;
    });

  it("pointing app.org_id at another org shows nothing of either", async () => {
    expect(await count(a.id, "select count(*)::text as n from tickets")).toBe("1");
    expect(
      await count(a.id, `select set_config('app.org_id', '${b.id}', true); select count(*)::text as n from tickets`),
    ).toBe("0");
    expect(
      await count(a.id, `select set_config('app.org_id', '${b.id}', true); select count(*)::text as n from users`),
    ).toBe("0");
    expect(
      await count(a.id, `select set_config('app.org_id', '${b.id}', true); select count(*)::text as n from orgs`),
    ).toBe("0");
    // A made-up or missing signature is no better.
    expect(
      await count(
        a.id,
        `select set_config('app.org_id', '${b.id}', true), set_config('app.org_sig', repeat('0', 64), true); select count(*)::text as n from tickets`,
      ),
    ).toBe("0");
    expect(
      await count(a.id, `select set_config('app.org_sig', '', true); select count(*)::text as n from tickets`),
    ).toBe("0");
    // …nor does an insert into the other org get through.
    await expect(
      withTenant(a.id, async (tx) => {
        await tx.execute(sql`select set_config('app.org_id', ${b.id}, true)`);
        await tx.insert(tickets).values({ orgId: b.id, number: 3, subject: "forged", requesterId: userB.id });
      }),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
  });

  it("the key is out of the request role's reach", async () => {
    await expect(count(a.id, "select count(*)::text as n from beacon_private.org_key")).rejects.toMatchObject({
      cause: { code: "42501" },
    });
    const r = await db().execute<{ app: boolean; web: boolean; definer: boolean }>(sql`
      select has_schema_privilege('beacon_app', 'beacon_private', 'USAGE') as app,
             has_schema_privilege('beacon_web', 'beacon_private', 'USAGE') as web,
             (select prosecdef from pg_proc where proname = 'app_current_org') as definer`);
    expect(r.rows[0]).toEqual({ app: false, web: false, definer: true });
  });

  it("every beacon_app policy checks the org once per query (InitPlan), not once per row", async () => {
    const r = await db().execute<{ t: string; p: string; qual: string | null; chk: string | null }>(sql`
      select tablename as t, policyname as p, qual, with_check as chk from pg_policies
       where schemaname = 'public' and 'beacon_app' = any(roles)`);
    expect(r.rows.length).toBeGreaterThanOrEqual(17);
    for (const x of r.rows) {
      for (const e of [x.qual, x.chk].filter((v): v is string => v !== null)) {
        expect(e.replace(/\( SELECT app_current_org\(\) AS app_current_org\)/g, ""), `${x.t}.${x.p}`).not.toContain(
          "app_current_org()",
        );
      }
    }
  });
});

describe("OWNER_TENANT_SQL (bench scripts that replay request SQL on an owner connection)", () => {
  const probe = "select current_user as u, array(select distinct org_id::text from tickets) as orgs";

  it("enters the org as withTenant does, signature included: its rows only", async () => {
    const c = await pool().connect();
    try {
      await c.query("begin");
      await c.query(OWNER_TENANT_SQL, [a.id]);
      expect((await c.query(probe)).rows[0]).toEqual({ u: "beacon_app", orgs: [a.id] });
    } finally {
      await c.query("rollback");
      c.release();
    }
  });

  it("and so does the bench's capturing drizzle transaction (bench:explain)", async () => {
    const { result, queries } = await capturingDb(pool()).run({ orgId: b.id } as Principal, (tx) =>
      tx.execute(sql.raw(probe)),
    );
    expect(result.rows[0]).toEqual({ u: "beacon_app", orgs: [b.id] });
    expect(queries).toEqual([{ sql: probe, params: [] }]);
  });
});
