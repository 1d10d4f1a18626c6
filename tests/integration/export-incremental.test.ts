import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as incrementalRoute } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { api, newTicket } from "../helpers/api";
import { createWorld, type Actor, type World } from "../helpers/world";

// GET /api/v1/export/tickets/incremental: Zendesk-style pages {data, nextCursor, endOfStream}.

type Page = {
  data: { id: string; subject: string; updatedAt: string; status: string }[];
  nextCursor: string;
  endOfStream: boolean;
};
type Result = { status: number; body: any }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function page(who: Actor, query: Record<string, string>): Promise<Result> {
  const url = new URL("http://localhost/api/v1/export/tickets/incremental");
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await incrementalRoute.GET(
    new Request(url, { headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" } }),
  );
  return { status: res.status, body: await res.json() };
}

async function ok(who: Actor, query: Record<string, string>): Promise<Page> {
  const r = await page(who, query);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body as Page;
}

/** n tickets changed one second apart, the last `endsAgoSec` seconds ago. Returns ids oldest first. */
async function bulkTickets(world: World, n: number, endsAgoSec = 3600): Promise<string[]> {
  return unsafeWithSystem(async (tx) => {
    const r = await tx.execute<{ id: string }>(sql`
      with ins as (
        insert into tickets (org_id, number, subject, requester_id, status, created_at, updated_at)
        select ${world.org.id}::uuid, o.ticket_seq + g, 'Bulk ' || g, ${world.customer.id}::uuid, 'open',
               now() - interval '30 days', now() - make_interval(secs => ${endsAgoSec}::int + ${n}::int - g)
        from generate_series(1, ${n}) g, orgs o where o.id = ${world.org.id}::uuid
        returning id, updated_at)
      select id from ins order by updated_at, id`);
    await tx.execute(sql`update orgs set ticket_seq = ticket_seq + ${n} where id = ${world.org.id}::uuid`);
    return r.rows.map((x) => x.id);
  });
}

const LONG_AGO = "2000-01-01T00:00:00Z";

afterEach(() => setProcessEnv({ EXPORT_INCREMENTAL_LAG_SECONDS: "" }));

describe("walking the cursor", () => {
  let w: World;
  let ids: string[];
  beforeAll(async () => {
    w = await createWorld();
    ids = await bulkTickets(w, 25);
  });

  it("pages from startTime to endOfStream, each ticket once, in (updatedAt, id) order", async () => {
    const p1 = await ok(w.admin, { startTime: LONG_AGO, limit: "10" });
    const p2 = await ok(w.admin, { cursor: p1.nextCursor, limit: "10" });
    const p3 = await ok(w.admin, { cursor: p2.nextCursor, limit: "10" });
    expect([p1.data.length, p2.data.length, p3.data.length]).toEqual([10, 10, 5]);
    expect([p1.endOfStream, p2.endOfStream, p3.endOfStream]).toEqual([false, false, true]);
    expect([...p1.data, ...p2.data, ...p3.data].map((t) => t.id)).toEqual(ids);
    // Caught up: the last cursor answers an empty page, still at the end, with a cursor to poll with.
    const p4 = await ok(w.admin, { cursor: p3.nextCursor });
    expect(p4).toMatchObject({ data: [], endOfStream: true });
    expect(typeof p4.nextCursor).toBe("string");
  });

  it("a full last page is known to be the end (no extra empty round trip)", async () => {
    const all = await ok(w.admin, { startTime: LONG_AGO, limit: "25" });
    expect(all.data).toHaveLength(25);
    expect(all.endOfStream).toBe(true);
    expect((await ok(w.admin, { startTime: LONG_AGO })).data).toHaveLength(25); // default page: up to 1000
  });

  it("startTime leaves out tickets changed before it", async () => {
    const world = await createWorld();
    const old = await bulkTickets(world, 5, 10 * 86_400);
    const recent = await bulkTickets(world, 3, 3600);
    const since = new Date(Date.now() - 86_400_000).toISOString();
    const p = await ok(world.admin, { startTime: since });
    expect(p.data.map((t) => t.id)).toEqual(recent);
    expect(p.data.map((t) => t.id)).not.toContain(old[0]);
  });
});

describe("stable under concurrent updates", () => {
  it("a ticket changed mid-walk comes again with its new state; none is skipped", async () => {
    setProcessEnv({ EXPORT_INCREMENTAL_LAG_SECONDS: "0" });
    const world = await createWorld();
    const ids = await bulkTickets(world, 30);
    const seen: Page["data"] = [];
    let p = await ok(world.admin, { startTime: LONG_AGO, limit: "10" });
    seen.push(...p.data);
    // Between pages: change one ticket already read and one not read yet, and add a new one.
    await api.patchTicket(world.agent, ids[3]!, { subject: "Changed after it was read" });
    await api.patchTicket(world.agent, ids[25]!, { subject: "Changed before it was read" });
    const added = await newTicket(world.customer, { subject: "Arrived mid-walk" });
    while (!p.endOfStream) {
      p = await ok(world.admin, { cursor: p.nextCursor, limit: "10" });
      seen.push(...p.data);
    }
    const seenIds = seen.map((t) => t.id);
    for (const id of [...ids, added.id]) expect(seenIds, id).toContain(id);
    expect(seenIds.filter((id) => id === ids[3])).toHaveLength(2);
    expect(seenIds.filter((id) => id === ids[25])).toHaveLength(1);
    const lastOf = (id: string) => seen.filter((t) => t.id === id).at(-1)!;
    expect(lastOf(ids[3]!).subject).toBe("Changed after it was read");
    expect(lastOf(ids[25]!).subject).toBe("Changed before it was read");
    expect(seen).toHaveLength(30 + 1 + 1);
  });

  it("leaves out the last EXPORT_INCREMENTAL_LAG_SECONDS (default 60), so an uncommitted change cannot be overtaken", async () => {
    const world = await createWorld();
    const [settled] = await bulkTickets(world, 1, 120);
    const fresh = await newTicket(world.customer, { subject: "Just now" });
    const p = await ok(world.admin, { startTime: LONG_AGO });
    expect(p.data.map((t) => t.id)).toEqual([settled]);
    expect(p.endOfStream).toBe(true);
    // Polling later with the same cursor picks the ticket up once it is old enough.
    setProcessEnv({ EXPORT_INCREMENTAL_LAG_SECONDS: "0" });
    const later = await ok(world.admin, { cursor: p.nextCursor });
    expect(later.data.map((t) => t.id)).toEqual([fresh.id]);
  });
});

describe("validation, roles and audit", () => {
  let w: World, other: World;
  beforeAll(async () => {
    [w, other] = await Promise.all([createWorld(), createWorld()]);
    await bulkTickets(w, 3);
  });

  it("a tampered or foreign cursor is 400", async () => {
    const p = await ok(w.admin, { startTime: LONG_AGO, limit: "1" });
    const [payload, sig] = p.nextCursor.split(".");
    const forged = Buffer.from(
      JSON.stringify({ k: "tix-inc", v: "1999-01-01", id: "00000000-0000-0000-0000-000000000000" }),
    ).toString("base64url");
    const listCursor = (await api.listTickets(w.admin, { limit: "1" })).body.nextCursor as string;
    for (const cursor of [`${payload}x.${sig}`, `${forged}.${sig}`, `${payload}.${sig}.x`, "garbage", listCursor]) {
      const r = await page(w.admin, { cursor });
      expect(r.status, cursor).toBe(400);
      // Every cursor failure has its own code (docs/decisions/044).
      expect(r.body.error.code).toBe("invalid_cursor");
    }
  });

  it("startTime xor cursor, ISO times, limit 1..1000", async () => {
    const p = await ok(w.admin, { startTime: LONG_AGO });
    const queries: Record<string, string>[] = [
      {},
      { startTime: LONG_AGO, cursor: p.nextCursor },
      { startTime: "1700000000" },
      { startTime: LONG_AGO, limit: "0" },
      { startTime: LONG_AGO, limit: "1001" },
      { startTime: LONG_AGO, limit: "ten" },
    ];
    for (const q of queries) {
      expect((await page(w.admin, q)).status, JSON.stringify(q)).toBe(400);
    }
  });

  it("admins only; another org's admin walks only their own org", async () => {
    for (const who of [w.agent, w.customer]) expect((await page(who, { startTime: LONG_AGO })).status).toBe(403);
    const theirs = await bulkTickets(other, 2);
    const p = await ok(other.admin, { startTime: LONG_AGO });
    expect(p.data.map((t) => t.id)).toEqual(theirs);
  });

  it("a walk's start is audited (export.started), its continuation pages are not", async () => {
    const count = async () =>
      (
        await unsafeWithSystem((tx) =>
          tx.execute<{ n: number }>(
            sql`select count(*)::int as n from audit_events where org_id = ${w.org.id} and action = 'export.started'`,
          ),
        )
      ).rows[0]!.n;
    const before = await count();
    const p = await ok(w.admin, { startTime: LONG_AGO, limit: "1" });
    await ok(w.admin, { cursor: p.nextCursor, limit: "1" });
    expect(await count()).toBe(before + 1);
    const r = await unsafeWithSystem((tx) =>
      tx.execute<{ data: unknown }>(
        sql`select data from audit_events where org_id = ${w.org.id} and action = 'export.started' order by seq desc limit 1`,
      ),
    );
    expect(r.rows[0]!.data).toEqual({ format: "incremental", filter: { startTime: LONG_AGO } });
  });

  it("FEATURES_DISABLED=export answers 503", async () => {
    setProcessEnv({ FEATURES_DISABLED: "export" });
    try {
      const r = await page(w.admin, { startTime: LONG_AGO });
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("feature_disabled");
    } finally {
      setProcessEnv({ FEATURES_DISABLED: "" });
    }
  });
});
