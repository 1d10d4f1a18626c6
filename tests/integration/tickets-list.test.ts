import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

let w: World;
type T = {
  id: string;
  number: number;
  status: string;
  priority: string;
  updatedAt: string;
  resolveDue: string | null;
  subject: string;
};

beforeAll(async () => {
  w = await createWorld();
  const specs = [
    { subject: "Invoice missing for March", priority: "low", tags: ["billing"] },
    { subject: "Password reset email never arrives", priority: "high", tags: ["login"] },
    { subject: "Dark mode request", priority: "low", tags: ["feature"] },
    { subject: "Refund for duplicate charge", priority: "urgent", tags: ["billing", "refund"] },
    { subject: "Export to CSV times out", priority: "normal", tags: [] },
  ];
  // Priority and tags are staff-only fields, so an agent opens these on the customer's behalf.
  for (const s of specs) await newTicket(w.agent, { ...s, requesterId: w.customer.id, body: `About: ${s.subject}` });
  const all = (await api.listTickets(w.agent, { sort: "createdAt" })).body.data as T[];
  await api.patchTicket(w.agent, all[1]!.id, { assigneeId: w.agent.id, status: "open" });
  await api.patchTicket(w.agent, all[3]!.id, { status: "pending" });
  await api.addComment(w.agent, all[4]!.id, { body: "Reproduced with the quarterly ledger export.", internal: true });
  await api.addComment(w.customer, all[2]!.id, { body: "Also the sidebar glows like a lighthouse." });
});

const list = async (query: Record<string, string>, who = w.agent) => {
  const r = await api.listTickets(who, query);
  expect(r.status, r.text).toBe(200);
  return r.body as { data: T[]; nextCursor: string | null };
};

describe("GET /api/v1/tickets", () => {
  it("defaults to 25 by -updatedAt with nextCursor null at the end", async () => {
    const r = await list({});
    expect(r.data).toHaveLength(5);
    expect(r.nextCursor).toBeNull();
    const times = r.data.map((t) => t.updatedAt);
    expect([...times].sort().reverse()).toEqual(times);
  });

  it("filters by status (comma list), priority, assignee (me/none/id), requester and tag", async () => {
    expect((await list({ status: "open,pending" })).data.map((t) => t.status).sort()).toEqual(["open", "pending"]);
    expect((await list({ priority: "low" })).data).toHaveLength(2);
    expect((await list({ assigneeId: "me" })).data.map((t) => t.subject)).toEqual([
      "Password reset email never arrives",
    ]);
    expect((await list({ assigneeId: "me" }, w.agent2)).data).toEqual([]);
    expect((await list({ assigneeId: w.agent.id })).data).toHaveLength(1);
    expect((await list({ assigneeId: "none" })).data).toHaveLength(4);
    expect((await list({ requesterId: w.customer.id })).data).toHaveLength(5);
    expect((await list({ tag: "billing" })).data.map((t) => t.subject).sort()).toEqual([
      "Invoice missing for March",
      "Refund for duplicate charge",
    ]);
  });

  it("sorts by every key in both directions", async () => {
    const rank = { low: 0, normal: 1, high: 2, urgent: 3 } as Record<string, number>;
    const asc = (await list({ sort: "priority" })).data.map((t) => rank[t.priority]!);
    expect(asc).toEqual([...asc].sort((a, b) => a - b));
    const desc = (await list({ sort: "-priority" })).data.map((t) => rank[t.priority]!);
    expect(desc).toEqual([...desc].sort((a, b) => b - a));
    const due = (await list({ sort: "resolveDue" })).data;
    const dues = due.filter((t) => t.resolveDue).map((t) => t.resolveDue!);
    expect(dues).toEqual([...dues].sort());
    const created = (await list({ sort: "-createdAt" })).data.map((t) => t.number);
    expect(created).toEqual([...created].sort((a, b) => b - a));
  });

  it("pages with opaque cursors, stable when tickets arrive between pages", async () => {
    for (const sort of ["-updatedAt", "createdAt", "priority", "-resolveDue"]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let inserted = false;
      do {
        const page: { data: T[]; nextCursor: string | null } = await list({
          limit: "2",
          sort,
          ...(cursor ? { cursor } : {}),
        });
        seen.push(...page.data.map((t) => t.id));
        cursor = page.nextCursor;
        if (!inserted) {
          // A new ticket lands mid-walk; it must not duplicate or shift what is left.
          await newTicket(w.customer2, { subject: `arrival during ${sort}` });
          inserted = true;
        }
      } while (cursor);
      expect(new Set(seen).size, sort).toBe(seen.length);
      expect(seen.length, sort).toBeGreaterThanOrEqual(5);
    }
  });

  it("rejects bad limits, sorts, filters and cursors with 400", async () => {
    const bad: Record<string, string>[] = [
      { limit: "0" },
      { limit: "101" },
      { limit: "abc" },
      { limit: "2.5" },
      { limit: "-1" },
      { sort: "subject" },
      { sort: "--updatedAt" },
      { status: "done" },
      { status: "open,done" },
      { priority: "critical" },
      { assigneeId: "someone" },
      { requesterId: "x" },
      { cursor: "garbage" },
      { unknown: "1" },
    ];
    for (const q of bad) {
      const r = await api.listTickets(w.agent, q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      // A cursor has its own code (docs/decisions/044): the client should drop it and start again.
      expect(r.body.error.code).toBe(q.cursor ? "invalid_cursor" : "validation_failed");
    }
  });

  it("a tampered cursor, or one from another sort, is 400", async () => {
    const page = await list({ limit: "1" });
    const c = page.nextCursor!;
    const [payload, sig] = c.split(".");
    const forged = Buffer.from(
      JSON.stringify({ s: "-updatedAt", v: "1970-01-01", id: "00000000-0000-4000-8000-000000000000" }),
    ).toString("base64url");
    for (const cursor of [`${forged}.${sig}`, `${payload}.${sig!.slice(0, -2)}xx`, `${payload}`]) {
      expect((await api.listTickets(w.agent, { limit: "1", cursor })).status).toBe(400);
    }
    expect((await api.listTickets(w.agent, { limit: "1", cursor: c, sort: "createdAt" })).status).toBe(400);
  });

  it("binds a cursor to its filters and sort: reused with another filter it is 400 invalid_cursor; a new limit is fine", async () => {
    const billing = await list({ tag: "billing", sort: "createdAt", limit: "1" });
    const c = billing.nextCursor!;
    expect(c).toEqual(expect.any(String));
    for (const other of <Record<string, string>[]>[
      { tag: "login" },
      {},
      { tag: "billing", status: "new" },
      { tag: "billing", sort: "-createdAt" },
      { tag: "billing", q: "invoice" },
    ]) {
      const r = await api.listTickets(w.agent, { sort: "createdAt", limit: "1", ...other, cursor: c });
      expect(r.status, JSON.stringify(other)).toBe(400);
      expect(r.body.error).toMatchObject({
        code: "invalid_cursor",
        details: { issues: [{ in: "query", path: "cursor" }] },
      });
      expect(r.body.error.message).toMatch(/other filters/);
    }
    // The same filters (in any order in the URL) with another page size continue the walk.
    const next = await list({ limit: "5", cursor: c, sort: "createdAt", tag: "billing" });
    expect(next.data.map((t) => t.subject)).toEqual(["Refund for duplicate charge"]);
    expect(next.nextCursor).toBeNull();
  });

  describe("search (q)", () => {
    it("matches subject words with stemming, comment text, and partial subjects", async () => {
      expect((await list({ q: "refunds" })).data.map((t) => t.subject)).toEqual(["Refund for duplicate charge"]);
      expect((await list({ q: "lighthouse" })).data.map((t) => t.subject)).toEqual(["Dark mode request"]);
      expect((await list({ q: "passw" })).data.map((t) => t.subject)).toEqual(["Password reset email never arrives"]);
      expect((await list({ q: "zzzz-nothing" })).data).toEqual([]);
      expect((await list({ q: "invoice", status: "new" })).data).toHaveLength(1);
    });

    it("finds internal-note text for staff only", async () => {
      expect((await list({ q: "ledger" })).data.map((t) => t.subject)).toEqual(["Export to CSV times out"]);
      expect((await list({ q: "ledger" }, w.customer)).data).toEqual([]);
    });

    it("treats search syntax and LIKE wildcards in q as text", async () => {
      for (const q of ["%", "_", "\\", "'; drop table tickets; --", "a & b | !c", '"unterminated', "():*"]) {
        const r = await api.listTickets(w.agent, { q });
        expect(r.status, q).toBe(200);
      }
      expect((await list({ q: "%" })).data).toEqual([]);
    });

    it("keeps the search vector current when the subject changes", async () => {
      const t = await newTicket(w.customer, { subject: "Original wording" });
      await api.patchTicket(w.agent, t.id, { subject: "Kangaroo sighting" });
      expect((await list({ q: "kangaroo" })).data.map((x) => x.id)).toEqual([t.id]);
      expect((await list({ q: "original" })).data.map((x) => x.id)).not.toContain(t.id);
      const v = await unsafeWithSystem((tx) =>
        tx.execute<{ v: string }>(sql`select search_vector::text as v from tickets where id = ${t.id}`),
      );
      expect(v.rows[0]!.v).toContain("kangaroo");
    });
  });
});
