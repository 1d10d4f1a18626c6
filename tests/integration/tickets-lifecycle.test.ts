import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const statusOf = async (id: string) => (await api.getTicket(w.agent, id)).body.status as string;

describe("conversation lifecycle (SPEC §5)", () => {
  it("the first public agent reply stamps firstResponseAt once and moves new → open; notes do not count", async () => {
    const t = await newTicket(w.customer);
    await api.addComment(w.agent, t.id, { body: "internal only", internal: true });
    let v = (await api.getTicket(w.agent, t.id)).body;
    expect(v).toMatchObject({ status: "new", firstResponseAt: null });
    const reply = await api.addComment(w.agent, t.id, { body: "On it!" });
    expect(reply.status).toBe(201);
    expect(reply.body).toMatchObject({
      ticketId: t.id,
      authorId: w.agent.id,
      internal: false,
      bodyHtml: "<p>On it!</p>",
    });
    v = (await api.getTicket(w.agent, t.id)).body;
    expect(v.status).toBe("open");
    expect(v.firstResponseAt).not.toBeNull();
    expect(v.sla!.firstResponse.fulfilledAt).toBe(v.firstResponseAt);
    const stamp = v.firstResponseAt;
    await api.addComment(w.agent2, t.id, { body: "Second reply" });
    expect((await api.getTicket(w.agent, t.id)).body.firstResponseAt).toBe(stamp);
  });

  it("an agent-created ticket's own first comment is not a first response", async () => {
    const t = await newTicket(w.agent, { requesterId: w.customer.id });
    const v = (await api.getTicket(w.agent, t.id)).body;
    expect(v).toMatchObject({ status: "new", firstResponseAt: null });
  });

  it("the requester's reply reopens a pending or solved ticket", async () => {
    for (const status of ["pending", "solved"]) {
      const t = await newTicket(w.customer);
      expect((await api.patchTicket(w.agent, t.id, { status })).status).toBe(200);
      expect((await api.addComment(w.customer, t.id, { body: "still broken" })).status).toBe(201);
      expect(await statusOf(t.id)).toBe("open");
    }
  });

  it("closed is final: comments and changes answer 409 and change nothing", async () => {
    const t = await newTicket(w.customer);
    expect((await api.patchTicket(w.agent, t.id, { status: "closed" })).status).toBe(200);
    const c = await api.addComment(w.customer, t.id, { body: "hello?" });
    expect(c.status).toBe(409);
    expect(c.body.error.code).toBe("conflict");
    expect((await api.patchTicket(w.agent, t.id, { status: "open" })).status).toBe(409);
    expect((await api.listComments(w.agent, t.id)).body.data).toHaveLength(1);
    expect(await statusOf(t.id)).toBe("closed");
  });

  it("a customer may solve or reopen their own ticket, and nothing else", async () => {
    const t = await newTicket(w.customer);
    expect((await api.patchTicket(w.customer, t.id, { status: "pending" })).status).toBe(403);
    expect((await api.patchTicket(w.customer, t.id, { priority: "urgent" })).status).toBe(403);
    expect((await api.patchTicket(w.customer, t.id, { assigneeId: w.agent.id })).status).toBe(403);
    expect((await api.patchTicket(w.customer, t.id, { tags: ["vip"] })).status).toBe(403);
    const solved = await api.patchTicket(w.customer, t.id, { status: "solved" });
    expect(solved.status).toBe(200);
    expect(solved.body.status).toBe("solved");
    expect((await api.getTicket(w.agent, t.id)).body.resolvedAt).not.toBeNull();
    const reopened = await api.patchTicket(w.customer, t.id, { status: "open" });
    expect(reopened.body).toMatchObject({ status: "open" });
    expect((await api.getTicket(w.agent, t.id)).body.resolvedAt).toBeNull();
    expect((await api.patchTicket(w.customer, t.id, { status: "closed" })).status).toBe(403);
  });

  it("agents change status, priority, assignee, subject and tags; PATCH returns the updated ticket", async () => {
    const t = await newTicket(w.customer);
    const r = await api.patchTicket(w.agent, t.id, {
      status: "open",
      priority: "high",
      assigneeId: w.agent2.id,
      subject: "Printer: smoke",
      tags: ["Hardware", "urgent-ish"],
    });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      status: "open",
      priority: "high",
      assigneeId: w.agent2.id,
      subject: "Printer: smoke",
      tags: ["hardware", "urgent-ish"],
    });
    // high: 4 h first response from the original start
    expect(new Date(r.body.firstResponseDue!).getTime() - new Date(r.body.createdAt).getTime()).toBe(4 * 3600_000);
    const unassign = await api.patchTicket(w.agent, t.id, { assigneeId: null });
    expect(unassign.body.assigneeId).toBeNull();
  });

  it("the assignee must be an active agent or admin of the org (400 otherwise)", async () => {
    const t = await newTicket(w.customer);
    for (const assigneeId of [w.customer2.id, other.agent.id, "00000000-0000-4000-8000-000000000000"]) {
      const r = await api.patchTicket(w.agent, t.id, { assigneeId });
      expect(r.status).toBe(400);
      expect(r.body.error.details.issues[0].path).toBe("assigneeId");
    }
    expect((await api.patchTicket(w.agent, t.id, { assigneeId: w.admin.id })).status).toBe(200);
  });

  it("bad PATCH bodies are 400 and change nothing", async () => {
    const t = await newTicket(w.customer);
    for (const body of [
      {},
      { status: "done" },
      { priority: 3 },
      { subject: "x".repeat(201) },
      { tags: "a" },
      { assigneeId: "nope" },
      { number: 7 },
      [],
      "null",
    ]) {
      const r = await api.patchTicket(w.agent, t.id, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await api.getTicket(w.agent, t.id)).body).toMatchObject({ status: "new", priority: "normal", tags: [] });
  });

  it("concurrent updates by two agents all apply in order (no lost update, no forked audit chain)", async () => {
    const t = await newTicket(w.customer);
    const tagsets = Array.from({ length: 8 }, (_, i) => [`t${i}`]);
    const results = await Promise.all(
      tagsets.map((tags, i) => api.patchTicket(i % 2 ? w.agent : w.agent2, t.id, { tags })),
    );
    expect(results.map((r) => r.status)).toEqual(tagsets.map(() => 200));
    const events = (await api.events(w.agent, t.id)).body.data.filter(
      (e: { action: string }) => e.action === "ticket.updated",
    );
    expect(events).toHaveLength(8);
    const seqs = await unsafeWithSystem((tx) =>
      tx.execute<{ seq: string; n: string }>(
        sql`select max(seq)::text as seq, count(*)::text as n from audit_events where org_id = ${w.org.id}`,
      ),
    );
    expect(seqs.rows[0]!.seq).toBe(seqs.rows[0]!.n);
    const version = await unsafeWithSystem((tx) =>
      tx.execute<{ version: number }>(sql`select version from tickets where id = ${t.id}`),
    );
    expect(version.rows[0]!.version).toBe(9);
  });
});

describe("GET /api/v1/tickets/:id/events", () => {
  it("shows the ticket's audit and SLA history in order, to staff", async () => {
    const t = await newTicket(w.customer);
    await api.addComment(w.agent, t.id, { body: "hello" });
    await api.patchTicket(w.agent, t.id, { status: "pending" });
    const r = await api.events(w.agent, t.id);
    expect(r.status).toBe(200);
    const actions = r.body.data.map((e: { action: string }) => e.action);
    expect(actions).toEqual(
      expect.arrayContaining([
        "ticket.created",
        "ticket.replied",
        "ticket.updated",
        "sla.first_response.apply",
        "sla.resolution.apply",
        "sla.first_response.fulfill",
        "sla.resolution.pause",
      ]),
    );
    expect(actions.indexOf("ticket.created")).toBeLessThan(actions.indexOf("ticket.replied"));
    const update = r.body.data.find((e: { action: string }) => e.action === "ticket.updated");
    expect(update!.data).toEqual({ changes: { status: { from: "open", to: "pending" } } });
    expect(update!.actorId).toBe(w.agent.id);
  });
});
