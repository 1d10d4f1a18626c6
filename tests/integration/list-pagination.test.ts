import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api, newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Ticket events, API tokens and webhooks are keyset-paginated like tickets (issue 20,
// docs/decisions/044-api-contract.md): `limit` and `cursor`, `{data, nextCursor}` with nextCursor
// null on the last page, a cursor bound to its list (and the ticket or filters it was made for).

let w: World;
let other: World;
beforeAll(async () => {
  w = await createWorld();
  other = await createWorld();
});

type Page<T> = { data: T[]; nextCursor: string | null };

/** Walks a list page by page with `limit`, returning every page's rows. */
async function walk<T>(
  get: (query: Record<string, string>) => Promise<{ status: number; body: Page<T>; text: string }>,
  limit: number,
): Promise<T[][]> {
  const pages: T[][] = [];
  let cursor: string | null = null;
  do {
    const r = await get({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    expect(r.status, r.text).toBe(200);
    expect(Object.keys(r.body).sort()).toEqual(["data", "nextCursor"]);
    pages.push(r.body.data);
    cursor = r.body.nextCursor;
    expect(pages.length).toBeLessThan(50);
  } while (cursor);
  return pages;
}

describe("GET /tickets/{id}/events", () => {
  it("pages the merged audit and SLA history in time order, each event once", async () => {
    const t = await newTicket(w.customer, { subject: "Event paging" });
    for (const status of ["open", "pending", "open", "on_hold", "open"])
      expect((await api.patchTicket(w.agent, t.id, { status })).status).toBe(200);
    const events = (q: Record<string, string>) =>
      call(apiRoute.GET, "GET", `/api/v1/tickets/${t.id}/events`, { cookie: w.agent.cookie, query: q });
    const whole = (await events({ limit: "100" })).body as Page<{
      source: string;
      at: string;
      seq: number | null;
      action: string;
    }>;
    expect(whole.nextCursor).toBeNull();
    expect(whole.data.filter((e) => e.source === "sla").length).toBeGreaterThan(0);
    expect(whole.data.length).toBeGreaterThan(6);
    const times = whole.data.map((e) => e.at);
    expect([...times].sort()).toEqual(times);
    for (const limit of [1, 2, 3]) {
      const pages = await walk<(typeof whole.data)[number]>(events, limit);
      expect(pages.slice(0, -1).every((p) => p.length === limit)).toBe(true);
      expect(pages.flat()).toEqual(whole.data);
    }
    // The default page, and the history of an agent-visible ticket for a customer stays a 404/403 as before.
    expect((await api.events(w.agent, t.id)).body.data).toEqual(whole.data);
    expect((await api.events(w.customer, t.id)).status).toBe(403);
  });

  it("refuses a cursor of another ticket's history, another list's cursor, and a tampered one", async () => {
    const a = await newTicket(w.customer, { subject: "Cursor A" });
    const b = await newTicket(w.customer, { subject: "Cursor B" });
    await api.patchTicket(w.agent, a.id, { status: "open" });
    const first = await call(apiRoute.GET, "GET", `/api/v1/tickets/${a.id}/events`, {
      cookie: w.agent.cookie,
      query: { limit: "1" },
    });
    const cursor = first.body.nextCursor as string;
    expect(cursor).toEqual(expect.any(String));
    const comments = await call(apiRoute.GET, "GET", `/api/v1/tickets/${a.id}/comments`, {
      cookie: w.agent.cookie,
      query: { cursor },
    });
    const otherTicket = await call(apiRoute.GET, "GET", `/api/v1/tickets/${b.id}/events`, {
      cookie: w.agent.cookie,
      query: { cursor },
    });
    const tampered = await call(apiRoute.GET, "GET", `/api/v1/tickets/${a.id}/events`, {
      cookie: w.agent.cookie,
      query: { cursor: `${cursor}x` },
    });
    for (const r of [comments, otherTicket, tampered]) {
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.code).toBe("invalid_cursor");
    }
    expect(otherTicket.body.error.message).toMatch(/other filters/);
  });
});

describe("GET /me/tokens", () => {
  it("pages the caller's live tokens newest first; another user's or org's never appear", async () => {
    const names = ["t1", "t2", "t3", "t4", "t5"];
    for (const name of names) {
      const r = await call(apiRoute.POST, "POST", "/api/v1/me/tokens", {
        cookie: w.agent.cookie,
        body: { name, expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
      });
      expect(r.status, r.text).toBe(201);
    }
    await call(apiRoute.POST, "POST", "/api/v1/me/tokens", {
      cookie: w.agent2.cookie,
      body: { name: "someone else", expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    await call(apiRoute.POST, "POST", "/api/v1/me/tokens", {
      cookie: other.agent.cookie,
      body: { name: "other org", expiresAt: new Date(Date.now() + 86_400_000).toISOString() },
    });
    const tokens = (q: Record<string, string>) =>
      call(apiRoute.GET, "GET", "/api/v1/me/tokens", { cookie: w.agent.cookie, query: q });
    const pages = await walk<{ name: string }>(tokens, 2);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(pages.flat().map((t) => t.name)).toEqual([...names].reverse());
    // A customer has their own (empty) list.
    const mine = await call(apiRoute.GET, "GET", "/api/v1/me/tokens", { cookie: w.customer.cookie });
    expect(mine.body).toEqual({ data: [], nextCursor: null });
  });
});

describe("the lists answered whole", () => {
  it("say so with nextCursor null, like the last page of a paginated list", async () => {
    for (const path of [
      "/api/v1/sla-policies",
      "/api/v1/feature-flags",
      "/api/v1/email/addresses",
      "/api/v1/email/mailboxes",
    ]) {
      const r = await call(apiRoute.GET, "GET", path, { cookie: w.admin.cookie });
      expect(r.status, r.text).toBe(200);
      expect(Object.keys(r.body).sort(), path).toEqual(["data", "nextCursor"]);
      expect(r.body.nextCursor, path).toBeNull();
    }
    expect(
      (await call(apiRoute.GET, "GET", "/api/v1/sla-policies", { cookie: w.admin.cookie })).body.data,
    ).toHaveLength(4);
  });
});

describe("GET /webhooks", () => {
  it("pages the org's webhooks oldest first, admins only, never another org's", async () => {
    const made: string[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await call(apiRoute.POST, "POST", "/api/v1/webhooks", {
        cookie: w.admin.cookie,
        body: { url: `http://127.0.0.1:9/hook-${i}`, events: ["ticket.created"] },
      });
      expect(r.status, r.text).toBe(201);
      made.push(r.body.id);
    }
    await call(apiRoute.POST, "POST", "/api/v1/webhooks", {
      cookie: other.admin.cookie,
      body: { url: "http://127.0.0.1:9/other", events: ["ticket.created"] },
    });
    const hooks = (q: Record<string, string>) =>
      call(apiRoute.GET, "GET", "/api/v1/webhooks", { cookie: w.admin.cookie, query: q });
    const pages = await walk<{ id: string }>(hooks, 2);
    expect(pages.flat().map((h) => h.id)).toEqual(made);
    expect((await call(apiRoute.GET, "GET", "/api/v1/webhooks", { cookie: w.agent.cookie })).status).toBe(403);
    // The other org's admin sees only its own.
    const theirs = await call(apiRoute.GET, "GET", "/api/v1/webhooks", {
      cookie: other.admin.cookie,
      query: { limit: "100" },
    });
    expect(theirs.body.data.map((h: { url: string }) => h.url)).toEqual(["http://127.0.0.1:9/other"]);
  });

  it("keeps the order stable when webhooks share a creation time", async () => {
    const w2 = await createWorld();
    for (let i = 0; i < 3; i++)
      await call(apiRoute.POST, "POST", "/api/v1/webhooks", {
        cookie: w2.admin.cookie,
        body: { url: `http://127.0.0.1:9/same-${i}`, events: ["ticket.created"] },
      });
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update webhooks set created_at = '2026-01-01T00:00:00Z' where org_id = ${w2.org.id}`),
    );
    const all = (
      await call(apiRoute.GET, "GET", "/api/v1/webhooks", { cookie: w2.admin.cookie, query: { limit: "100" } })
    ).body.data.map((h: { id: string }) => h.id);
    const pages = await walk<{ id: string }>(
      (q) => call(apiRoute.GET, "GET", "/api/v1/webhooks", { cookie: w2.admin.cookie, query: q }),
      1,
    );
    expect(pages.flat().map((h) => h.id)).toEqual(all);
    expect([...all].sort()).toEqual(all);
  });
});
