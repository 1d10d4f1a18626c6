// Ready for a distributed PostgreSQL (issue 16 item 6, docs/scaling.md): the catalog of the
// migrated database proves Citus's preconditions for distributing every tenant table by org_id.
//   - org_id NOT NULL (the distribution column);
//   - org_id a key column of the primary key and of every unique index (Citus enforces uniqueness
//     per shard, so a unique key without the distribution column cannot exist);
//   - every foreign key between tenant tables pairs org_id with org_id (colocated shards only).
// Tables without org_id, and tenant-keyed tables replicated as reference tables, are named here
// on purpose: a new table must either meet the rules or be classified (and docs/scaling.md say so).
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { db } from "../../src/server/db/client";
import { apiRoute, call } from "../helpers/http";
import { createWorld } from "../helpers/world";

/** No org_id: orgs (distributed by id, colocated with the tenant tables), and two system tables. */
const NOT_TENANT = ["email_address_claims", "orgs", "worker_heartbeats"];
/** org_id but replicated to every node (global defaults with org_id null, per-org overrides). */
const REFERENCE = ["feature_flags"];

type Row = { table: string; detail: string };
const q = async (text: ReturnType<typeof sql>) => (await db().execute<Row>(text)).rows;

const TENANT = sql`(select c.oid, c.relname::text as relname from pg_class c
  where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
    and exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
    and c.relname::text <> all(${sql.param(REFERENCE)}::text[]))`;

describe("Citus distribution preconditions (catalog of the migrated database)", () => {
  it("classifies every table: tenant tables have org_id; the others are named", async () => {
    const other = await q(sql`select c.relname::text as table, '' as detail from pg_class c
      where c.relnamespace = 'public'::regnamespace and c.relkind in ('r', 'p')
        and not exists (select 1 from pg_attribute a where a.attrelid = c.oid and a.attname = 'org_id' and not a.attisdropped)
      order by 1`);
    expect(other.map((r) => r.table)).toEqual(NOT_TENANT);
    const tenant = await q(sql`select t.relname as table, '' as detail from ${TENANT} t order by 1`);
    // tickets, comments, users, audit_events, … (a sanity floor, so an empty query cannot pass)
    expect(tenant.length).toBeGreaterThan(25);
    for (const name of ["tickets", "comments", "users", "audit_events", "ticket_anchors", "email_addresses"])
      expect(tenant.map((r) => r.table)).toContain(name);
  });

  it("org_id is NOT NULL on every tenant table", async () => {
    expect(
      await q(sql`select t.relname as table, '' as detail from ${TENANT} t
      join pg_attribute a on a.attrelid = t.oid and a.attname = 'org_id' where not a.attnotnull order by 1`),
    ).toEqual([]);
  });

  it("every tenant table has a primary key, and org_id is a key column of it and of every unique index", async () => {
    expect(
      await q(sql`select t.relname as table, '' as detail from ${TENANT} t
      where not exists (select 1 from pg_index i where i.indrelid = t.oid and i.indisprimary) order by 1`),
    ).toEqual([]);
    const uniques = await q(sql`select t.relname as table, ic.relname::text as detail from ${TENANT} t
      join pg_index i on i.indrelid = t.oid join pg_class ic on ic.oid = i.indexrelid
      where i.indisunique order by 1, 2`);
    expect(uniques.length).toBeGreaterThan(25);
    // Key columns only (indkey[0 : indnkeyatts − 1]); an INCLUDE column does not count, nor org_id inside an expression.
    expect(
      await q(sql`select t.relname as table, ic.relname::text as detail from ${TENANT} t
      join pg_index i on i.indrelid = t.oid join pg_class ic on ic.oid = i.indexrelid
      where (i.indisunique or i.indisprimary)
        and not exists (select 1 from pg_attribute a where a.attrelid = t.oid and a.attname = 'org_id'
                          and a.attnum = any((i.indkey::int2[])[0:i.indnkeyatts - 1]))
      order by 1, 2`),
    ).toEqual([]);
  });

  it("every foreign key between tenant tables pairs org_id with org_id", async () => {
    const between = await q(sql`select t.relname as table, con.conname::text as detail from ${TENANT} t
      join pg_constraint con on con.conrelid = t.oid and con.contype = 'f'
      where con.confrelid in (select oid from ${TENANT} x) order by 1, 2`);
    expect(between.length).toBeGreaterThan(20);
    expect(
      await q(sql`select t.relname as table, con.conname::text as detail from ${TENANT} t
      join pg_constraint con on con.conrelid = t.oid and con.contype = 'f'
      where con.confrelid in (select oid from ${TENANT} x)
        and not exists (select 1 from unnest(con.conkey, con.confkey) k(a, b)
          join pg_attribute x on x.attrelid = con.conrelid and x.attnum = k.a
          join pg_attribute y on y.attrelid = con.confrelid and y.attnum = k.b
          where x.attname = 'org_id' and y.attname = 'org_id')
      order by 1, 2`),
    ).toEqual([]);
  });

  it("foreign keys leave tenant tables only for orgs (colocated by id); reference tables point nowhere else", async () => {
    // Citus allows distributed → reference and colocated distributed → distributed keys, not
    // reference → distributed: feature_flags' key to orgs is dropped on Citus (docs/scaling.md).
    expect(
      await q(sql`select con.conrelid::regclass::text as table, con.confrelid::regclass::text as detail from pg_constraint con
      where con.contype = 'f' and con.connamespace = 'public'::regnamespace
        and con.confrelid not in (select oid from ${TENANT} x) and con.confrelid <> 'orgs'::regclass
      order by 1, 2`),
    ).toEqual([]);
  });
});

describe("a support address still belongs to one org only (email_address_claims, migration 0023)", () => {
  it("refuses a second org's address with 409, frees it when deleted or changed", async () => {
    const [a, b] = await Promise.all([createWorld(), createWorld()]);
    const path = "/api/v1/email/addresses";
    const post = (who: { cookie: string }, address: string) =>
      call(apiRoute.POST, "POST", path, { cookie: who.cookie, body: { address } });
    const address = `help-${a.org.slug}@example.test`;
    const created = await post(a.admin, address.toUpperCase());
    expect(created.status, created.text).toBe(201);
    const taken = await post(b.admin, address);
    expect(taken.status, taken.text).toBe(409);
    expect((await post(a.admin, address)).status).toBe(409);
    // A change of address frees the old one and claims the new one.
    const moved = `moved-${a.org.slug}@example.test`;
    const patched = await call(apiRoute.PATCH, "PATCH", `${path}/${created.body.id}`, {
      cookie: a.admin.cookie,
      params: { id: created.body.id },
      body: { address: moved },
      headers: { "if-match": created.headers.get("etag") ?? "*" },
    });
    expect(patched.status, patched.text).toBe(200);
    expect((await post(b.admin, moved)).status).toBe(409);
    const again = await post(b.admin, address);
    expect(again.status, again.text).toBe(201);
    const del = await call(apiRoute.DELETE, "DELETE", `${path}/${again.body.id}`, {
      cookie: b.admin.cookie,
      params: { id: again.body.id },
      headers: { "if-match": again.headers.get("etag") ?? "*" },
    });
    expect(del.status, del.text).toBeLessThan(300);
    expect((await post(a.admin, address)).status).toBe(201);
    const claims = await db().execute<{ address: string }>(
      sql`select address from email_address_claims where address in (${address}, ${moved}) order by 1`,
    );
    expect(claims.rows.map((r) => r.address)).toEqual([address, moved]);
  });
});
