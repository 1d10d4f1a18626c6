import { beforeAll, describe, expect, it } from "vitest";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

describe("POST /api/v1/tickets", () => {
  it("a customer opens a ticket for themself: 201 with the SPEC shape, first message and SLA due dates", async () => {
    const before = Date.now();
    const r = await api.createTicket(w.customer, { subject: "  Cannot log in  ", body: "Since **Monday**.", tags: ["Login", "login", "web"] });
    expect(r.status).toBe(201);
    const t = r.body;
    expect(t).toMatchObject({
      subject: "Cannot log in", status: "new", priority: "normal", requesterId: w.customer.id, assigneeId: null,
      tags: ["login", "web"], firstResponseAt: null, resolvedAt: null,
    });
    expect(Object.keys(t).sort()).toEqual(["assigneeId", "createdAt", "firstResponseAt", "firstResponseDue", "id", "number", "priority", "requesterId", "resolveDue", "resolvedAt", "sla", "status", "subject", "tags", "updatedAt"].sort());
    // normal: 8 h first response, 48 h resolution, wall clock in this world's policies
    const created = new Date(t.createdAt).getTime();
    expect(created).toBeGreaterThanOrEqual(before - 1000);
    expect(new Date(t.firstResponseDue).getTime() - created).toBe(8 * 3600_000);
    expect(new Date(t.resolveDue).getTime() - created).toBe(48 * 3600_000);
    expect(t.sla.firstResponse).toEqual({ dueAt: t.firstResponseDue, fulfilledAt: null, breached: false, paused: false });
    const c = await api.listComments(w.customer, t.id);
    expect(c.body.data).toHaveLength(1);
    expect(c.body.data[0]).toMatchObject({ authorId: w.customer.id, internal: false, body: "Since **Monday**.", bodyHtml: "<p>Since <strong>Monday</strong>.</p>" });
  });

  it("numbers tickets per org, gap-free, also under concurrency", async () => {
    const results = await Promise.all(Array.from({ length: 12 }, (_, i) => api.createTicket(i % 2 ? w.agent : w.customer, { subject: `n${i}`, body: "x" })));
    expect(results.filter((r) => r.status !== 201).map((r) => r.text)).toEqual([]);
    const all = await api.listTickets(w.admin, { limit: "100" });
    const numbers = all.body.data.map((t: { number: number }) => t.number).sort((a: number, b: number) => a - b);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    const o = await newTicket(other.customer);
    expect(o.number).toBe(1);
  });

  it("a customer cannot open a ticket for someone else (403); an agent can, for users of the org only", async () => {
    expect((await api.createTicket(w.customer, { subject: "s", body: "b", requesterId: w.customer2.id })).status).toBe(403);
    const r = await api.createTicket(w.agent, { subject: "Phoned in", body: "Customer called.", requesterId: w.customer2.id, priority: "urgent" });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ requesterId: w.customer2.id, priority: "urgent" });
    expect(new Date(r.body.firstResponseDue).getTime() - new Date(r.body.createdAt).getTime()).toBe(3600_000);
    const cross = await api.createTicket(w.agent, { subject: "s", body: "b", requesterId: other.customer.id });
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
