import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

describe("POST /api/v1/tickets", () => {
  it("a customer opens a ticket for themself: 201 with the customer view, first message and SLA due dates", async () => {
    const before = Date.now();
    const r = await api.createTicket(w.customer, { subject: "  Cannot log in  ", body: "Since **Monday**." });
    expect(r.status).toBe(201);
    // The customer view (issue 18 item 10, issue 11 item 6): no priority, tags, assignee or SLA.
    // Until then this test asserted that the customer saw all of them.
    expect(r.body).toMatchObject({ subject: "Cannot log in", status: "new", requesterId: w.customer.id });
    expect(Object.keys(r.body).sort()).toEqual([
      "createdAt",
      "customFields",
      "id",
      "number",
      "requesterId",
      "status",
      "subject",
      "updatedAt",
    ]);
    const t = (await api.getTicket(w.agent, r.body.id)).body;
    expect(t).toMatchObject({
      subject: "Cannot log in",
      status: "new",
      priority: "normal",
      requesterId: w.customer.id,
      assigneeId: null,
      tags: [],
      firstResponseAt: null,
      resolvedAt: null,
    });
    expect(Object.keys(t).sort()).toEqual(
      [
        "assigneeId",
        "groupId",
        "createdAt",
        "customFields",
        "firstResponseAt",
        "firstResponseDue",
        "id",
        "number",
        "priority",
        "requesterId",
        "resolveDue",
        "resolvedAt",
        "sla",
        "status",
        "subject",
        "tags",
        "updatedAt",
      ].sort(),
    );
    // normal: 8 h first response, 48 h resolution, wall clock in this world's policies
    const created = new Date(t.createdAt).getTime();
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(t.firstResponseDue!).getTime() - created).toBe(8 * 3600_000);
    expect(new Date(t.resolveDue!).getTime() - created).toBe(48 * 3600_000);
    expect(t.sla!.firstResponse).toEqual({
      dueAt: t.firstResponseDue,
      fulfilledAt: null,
      breached: false,
      paused: false,
    });
    const c = await api.listComments(w.customer, t.id);
    expect(c.body.data).toHaveLength(1);
    expect(c.body.data[0]).toMatchObject({
      authorId: w.customer.id,
      internal: false,
      body: "Since **Monday**.",
      bodyHtml: "<p>Since <strong>Monday</strong>.</p>",
    });
  });

  it("numbers tickets per org, gap-free, also under concurrency", async () => {
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        api.createTicket(i % 2 ? w.agent : w.customer, { subject: `n${i}`, body: "x" }),
      ),
    );
    expect(results.filter((r) => r.status !== 201).map((r) => r.text)).toEqual([]);
    const all = await api.listTickets(w.admin, { limit: "100" });
    const numbers = all.body.data.map((t: { number: number }) => t.number).sort((a: number, b: number) => a - b);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    const o = await newTicket(other.customer);
    expect(o.number).toBe(1);
  });

  it("a customer cannot open a ticket for someone else (403); an agent can, for users of the org only", async () => {
    expect((await api.createTicket(w.customer, { subject: "s", body: "b", requesterId: w.customer2.id })).status).toBe(
      403,
    );
    const r = await api.createTicket(w.agent, {
      subject: "Phoned in",
      body: "Customer called.",
      requesterId: w.customer2.id,
      priority: "urgent",
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ requesterId: w.customer2.id, priority: "urgent" });
    expect(new Date(r.body.firstResponseDue!).getTime() - new Date(r.body.createdAt).getTime()).toBe(3600_000);
    const cross = await api.createTicket(w.agent, { subject: "s", body: "b", requesterId: other.customer.id });
    expect(cross.status).toBe(400);
    expect(cross.body.error.details.issues[0].path).toBe("requesterId");
  });

  it("a customer may not set priority or tags (staff-only): 403 naming the fields, nothing created", async () => {
    const countAll = async () => (await api.listTickets(w.admin, { limit: "100" })).body.data.length;
    const before = await countAll();
    const cases: [Record<string, unknown>, string[]][] = [
      [{ priority: "urgent" }, ["priority"]],
      [{ priority: "normal" }, ["priority"]], // even the default: the field is not the customer's
      [{ tags: ["vip"] }, ["tags"]],
      [{ tags: [] }, ["tags"]],
      [{ priority: "high", tags: ["vip"], requesterId: w.customer.id }, ["priority", "tags"]],
    ];
    for (const [extra, fields] of cases) {
      const r = await api.createTicket(w.customer, { subject: "Please hurry", body: "b", ...extra });
      expect(r.status, JSON.stringify(extra)).toBe(403);
      expect(r.body.error).toMatchObject({ code: "forbidden", details: { reason: "staff_only_field", fields } });
      expect(r.body.error.message).toContain(fields.join(" and "));
    }
    // Status and assignee are not fields of a new ticket for anyone: 400, as before.
    for (const extra of [{ status: "open" }, { assigneeId: w.agent.id }]) {
      expect((await api.createTicket(w.customer, { subject: "s", body: "b", ...extra })).status).toBe(400);
      expect((await api.createTicket(w.agent, { subject: "s", body: "b", ...extra })).status).toBe(400);
    }
    expect(await countAll()).toBe(before);
    const audit = await unsafeWithSystem((tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from audit_events where org_id = ${w.org.id} and action = 'ticket.created' and data->>'subject' = 'Please hurry'`,
      ),
    );
    expect(audit.rows[0]!.n).toBe(0);
    // Their own id as requester is still fine, as is a plain request.
    expect((await api.createTicket(w.customer, { subject: "s", body: "b", requesterId: w.customer.id })).status).toBe(
      201,
    );
  });

  it("agents and admins set priority and tags on a new ticket (tags normalized); another org's customer is still not a requester", async () => {
    for (const staff of [w.agent, w.admin]) {
      const r = await api.createTicket(staff, {
        subject: "Phoned in",
        body: "b",
        requesterId: w.customer.id,
        priority: "high",
        tags: ["Login", "login", "web"],
      });
      expect(r.status, r.text).toBe(201);
      expect(r.body).toMatchObject({ requesterId: w.customer.id, priority: "high", tags: ["login", "web"] });
    }
    const cross = await api.createTicket(other.agent, {
      subject: "s",
      body: "b",
      requesterId: w.customer.id,
      priority: "high",
    });
    expect(cross.status).toBe(400);
    expect(cross.body.error.details.issues[0].path).toBe("requesterId");
  });

  it("rejects bad input with 400 and writes nothing", async () => {
    const before = (await api.listTickets(w.admin, { limit: "100" })).body.data.length;
    const bad: unknown[] = [
      { subject: "x".repeat(201), body: "b" },
      { subject: "", body: "b" },
      { subject: "s", body: "x".repeat(64 * 1024 + 1) },
      { subject: "s", body: "   " },
      { subject: "s", body: "b", priority: "critical" },
      { subject: "s", body: "b", tags: "a,b" },
      { subject: "s", body: "b", tags: [{}] },
      { subject: "s", body: "b", requesterId: "not-a-uuid" },
      { subject: ["s"], body: "b" },
      [{ subject: "s", body: "b" }],
      { subject: "s", body: "b", status: "closed" },
      '{"subject":"s","body":"b","__proto__":{"isAdmin":true}}',
      '{"subject":"s","body":"b",',
    ];
    for (const body of bad) {
      const r = await api.createTicket(w.customer, body);
      expect(r.status, JSON.stringify(body).slice(0, 80)).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
    }
    expect((await api.listTickets(w.admin, { limit: "100" })).body.data.length).toBe(before);
  });

  it("a body of exactly 64 KiB is accepted", async () => {
    const r = await api.createTicket(w.customer, { subject: "big", body: "y".repeat(64 * 1024) });
    expect(r.status).toBe(201);
  });
});
