import { beforeAll, describe, expect, it } from "vitest";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
let ticket: { id: string };

beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  ticket = await newTicket(w.customer);
  await api.addComment(w.agent, ticket.id, { body: "Checking the logs (internal)", internal: true });
});

describe("visibility: outside what the caller may see is 404 for every verb and sub-resource", () => {
  const outsiders = () =>
    [
      ["another customer of the org", w.customer2],
      ["an agent of another org", other.agent],
      ["an admin of another org", other.admin],
    ] as const;

  it("GET, PATCH, comments, events", async () => {
    for (const [who, u] of outsiders()) {
      for (const r of [
        await api.getTicket(u, ticket.id),
        await api.patchTicket(u, ticket.id, { status: "solved" }),
        await api.listComments(u, ticket.id),
        await api.addComment(u, ticket.id, { body: "hi" }),
        await api.events(u, ticket.id),
      ]) {
        expect(r.status, who).toBe(404);
        expect(r.body.error.code).toBe("not_found");
      }
    }
    // unchanged
    const t = await api.getTicket(w.agent, ticket.id);
    expect(t.body.status).toBe("new");
    expect((await api.listComments(w.agent, ticket.id)).body.data).toHaveLength(2);
  });

  it("a nonexistent id is the same 404; a malformed id is 400", async () => {
    const missing = await api.getTicket(w.agent, "00000000-0000-4000-8000-000000000000");
    const foreign = await api.getTicket(other.agent, ticket.id);
    expect(missing.body).toEqual(foreign.body);
    expect((await api.getTicket(w.agent, "123")).status).toBe(400);
  });

  it("lists never show another org's or (for customers) another requester's tickets", async () => {
    await newTicket(w.customer2, { subject: "customer2's own" });
    await newTicket(other.customer, { subject: "other org" });
    const mine = await api.listTickets(w.customer, { limit: "100" });
    expect(mine.body.data.every((t: { requesterId: string }) => t.requesterId === w.customer.id)).toBe(true);
    const agents = await api.listTickets(w.agent, { limit: "100" });
    const subjects = agents.body.data.map((t: { subject: string }) => t.subject);
    expect(subjects).toContain("customer2's own");
    expect(subjects).not.toContain("other org");
    // A customer filtering on someone else's requesterId still sees nothing of theirs.
    const peek = await api.listTickets(w.customer, { requesterId: w.customer2.id });
    expect(peek.body.data).toEqual([]);
  });

  it("internal notes never reach a customer", async () => {
    const c = await api.listComments(w.customer, ticket.id);
    expect(c.status).toBe(200);
    expect(c.body.data.map((x: { internal: boolean }) => x.internal)).toEqual([false]);
    expect(c.text).not.toContain("Checking the logs");
    const staff = await api.listComments(w.agent, ticket.id);
    expect(staff.body.data.map((x: { internal: boolean }) => x.internal)).toEqual([false, true]);
  });

  it("a customer may not write internal notes or read the events (403 on a visible ticket)", async () => {
    const note = await api.addComment(w.customer, ticket.id, { body: "sneaky", internal: true });
    expect(note.status).toBe(403);
    expect((await api.events(w.customer, ticket.id)).status).toBe(403);
  });
});

describe("GET /api/v1/users", () => {
  it("admins list everyone; agents list agents and admins; customers are refused", async () => {
    const all = await api.listUsers(w.admin, { limit: "100" });
    expect(all.status).toBe(200);
    expect(all.body.data).toHaveLength(5);
    expect(all.body.data[0]).toEqual({
      id: expect.any(String),
      email: expect.any(String),
      name: expect.any(String),
      role: expect.any(String),
      orgId: w.org.id,
      blocked: false,
      createdAt: expect.any(String),
    });
    const staff = await api.listUsers(w.agent, { limit: "100" });
    expect(staff.body.data.map((u: { role: string }) => u.role).sort()).toEqual(["admin", "agent", "agent"]);
    expect((await api.listUsers(w.customer)).status).toBe(403);
    expect((await api.listUsers(w.admin, { role: "boss" })).status).toBe(400);
  });

  it("paginates with a cursor", async () => {
    const first = await api.listUsers(w.admin, { limit: "2" });
    expect(first.body.data).toHaveLength(2);
    const second = await api.listUsers(w.admin, { limit: "2", cursor: first.body.nextCursor! });
    const third = await api.listUsers(w.admin, { limit: "2", cursor: second.body.nextCursor! });
    const ids = [...first.body.data, ...second.body.data, ...third.body.data].map((u: { id: string }) => u.id);
    expect(new Set(ids).size).toBe(5);
    expect(third.body.nextCursor).toBeNull();
  });
});
