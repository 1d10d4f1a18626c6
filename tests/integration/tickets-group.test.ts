import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api, newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// A ticket's group (issue 13, migration 0019, decision 042): set by staff through PATCH and by
// the assign_group action, shown in the ticket JSON and history, filterable with ?group=.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

type Who = { cookie: string };
const newGroup = async (w: World, name = `Team ${randomUUID().slice(0, 8)}`, memberIds: string[] = []) => {
  const r = await call(apiRoute.POST, "POST", "/api/v1/groups", { cookie: w.admin.cookie, body: { name, memberIds } });
  if (r.status !== 201) throw new Error(r.text);
  return r.body as { id: string; name: string };
};
const ids = (r: { body: { data: { id: string }[] } }) => r.body.data.map((t) => t.id);
const list = (who: Who, query: Record<string, string>) => api.listTickets(who, query);
const row = async (id: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ group_id: string | null; version: number }>(
        sql`select group_id, version from tickets where id = ${id}`,
      ),
    )
  ).rows[0]!;

describe("ticket group", () => {
  it("staff set and clear it with PATCH; it is in the ticket JSON and the history; customers never see it", async () => {
    const g = await newGroup(A);
    const t = await newTicket(A.customer, { subject: "Which team?" });
    expect((await api.getTicket(A.agent, t.id)).body.groupId).toBeNull();
    const p = await api.patchTicket(A.agent, t.id, { groupId: g.id });
    expect(p.status, p.text).toBe(200);
    expect(p.body.groupId).toBe(g.id);
    expect((await api.getTicket(A.admin, t.id)).body.groupId).toBe(g.id);
    const events = (await api.events(A.agent, t.id)).body.data as {
      action: string;
      data: { changes?: Record<string, unknown> };
    }[];
    expect(events.find((e) => e.action === "ticket.updated" && e.data.changes?.groupId)?.data.changes?.groupId).toEqual(
      { from: null, to: g.id },
    );
    // The customer's view has no group, and they cannot set one.
    const mine = await api.getTicket(A.customer, t.id);
    expect(mine.status).toBe(200);
    expect(mine.body).not.toHaveProperty("groupId");
    expect((await api.patchTicket(A.customer, t.id, { groupId: null })).status).toBe(403);
    expect((await row(t.id)).group_id).toBe(g.id);
    const cleared = await api.patchTicket(A.agent, t.id, { groupId: null });
    expect(cleared.body.groupId).toBeNull();
  });

  it("a group that is not one of this org's is a 400 naming groupId, and changes nothing", async () => {
    const theirs = await newGroup(B);
    const t = await newTicket(A.customer, { subject: "Bad group" });
    const before = await row(t.id);
    for (const groupId of [theirs.id, randomUUID()]) {
      const r = await api.patchTicket(A.agent, t.id, { groupId });
      expect(r.status, r.text).toBe(400);
      expect(r.body.error.details.issues).toEqual([
        { in: "body", path: "groupId", message: "must be an agent group of this organization" },
      ]);
      expect(r.text).not.toContain(B.org.id);
    }
    for (const groupId of ["x", 1, ""]) expect((await api.patchTicket(A.agent, t.id, { groupId })).status).toBe(400);
    expect(await row(t.id)).toEqual(before);
  });

  it("?group=<id> and ?group=none filter the list (staff only); another org's group id finds nothing", async () => {
    const x = await createWorld();
    const [g1, g2] = [await newGroup(x, "One"), await newGroup(x, "Two")];
    const [t1, t2, t3] = [
      await newTicket(x.customer, { subject: "a" }),
      await newTicket(x.customer, { subject: "b" }),
      await newTicket(x.customer, { subject: "c" }),
    ];
    await api.patchTicket(x.agent, t1.id, { groupId: g1.id });
    await api.patchTicket(x.agent, t2.id, { groupId: g2.id });
    expect(ids(await list(x.agent, { group: g1.id }))).toEqual([t1.id]);
    expect(ids(await list(x.agent, { group: g2.id }))).toEqual([t2.id]);
    expect(ids(await list(x.agent, { group: "none" }))).toEqual([t3.id]);
    expect(ids(await list(x.agent, { group: g1.id, status: "new" }))).toEqual([t1.id]);
    expect((await list(x.agent, { group: "nope" })).status).toBe(400);
    const refused = await list(x.customer, { group: g1.id });
    expect(refused.status).toBe(403);
    expect(refused.body.error.details.fields).toEqual(["group"]);
    // Another org's agent naming x's group sees none of x's tickets.
    expect(ids(await list(B.agent, { group: g1.id }))).toEqual([]);
    // The filter is served by the (org, group, updated_at) index, not a scan of the org's tickets.
    const plan = await unsafeWithSystem(async (tx) => {
      await tx.execute(sql`set local enable_seqscan = off`);
      return (
        await tx.execute<{ "QUERY PLAN": string }>(
          sql`explain select id from tickets where org_id = ${x.org.id} and group_id = ${g1.id} order by updated_at desc, id desc limit 26`,
        )
      ).rows
        .map((r) => r["QUERY PLAN"])
        .join("\n");
    });
    expect(plan).toContain("tickets_org_group_updated_idx");
  });

  it("the assign_group action puts the ticket in the group (and assigns a member); the history names the rule", async () => {
    const x = await createWorld();
    const g = await newGroup(x, "Billing", [x.agent.id]);
    const rule = await call(apiRoute.POST, "POST", "/api/v1/triggers", {
      cookie: x.admin.cookie,
      body: {
        name: "Refunds to Billing",
        conditions: { all: [{ field: "subject", op: "contains", value: "refund" }] },
        actions: [{ type: "assign_group", groupId: g.id, strategy: "round_robin" }],
      },
    });
    expect(rule.status, rule.text).toBe(201);
    const t = await newTicket(x.customer, { subject: "refund please" });
    expect((await api.getTicket(x.agent, t.id)).body).toMatchObject({ groupId: g.id, assigneeId: x.agent.id });
    const events = (await api.events(x.agent, t.id)).body.data as { action: string; data: Record<string, unknown> }[];
    expect(events.find((e) => e.action === "ticket.automation")?.data).toMatchObject({
      ruleName: "Refunds to Billing",
      changes: { groupId: { from: null, to: g.id } },
    });
    // Everyone in the group away: the ticket still joins the group, unassigned.
    await call(apiRoute.PATCH, "PATCH", `/api/v1/groups/${g.id}/members/${x.agent.id}`, {
      cookie: x.agent.cookie,
      body: { away: true },
    });
    const t2 = await newTicket(x.customer, { subject: "another refund" });
    expect((await api.getTicket(x.agent, t2.id)).body).toMatchObject({ groupId: g.id, assigneeId: null });
    // A dry run shows it too.
    const test = await call(apiRoute.POST, "POST", `/api/v1/triggers/${rule.body.id}/test`, {
      cookie: x.admin.cookie,
      body: { ticketNumber: t.number },
    });
    expect(test.body.changes).toEqual({});
  });

  it("rules can test the group: a trigger on `group changed_to` fires when staff move the ticket", async () => {
    const x = await createWorld();
    const g = await newGroup(x, "Escalations");
    const r = await call(apiRoute.POST, "POST", "/api/v1/triggers", {
      cookie: x.admin.cookie,
      body: {
        name: "Escalated is urgent",
        conditions: { all: [{ field: "group", op: "changed_to", value: g.id }] },
        actions: [{ type: "set_priority", value: "urgent" }],
      },
    });
    expect(r.status, r.text).toBe(201);
    const bad = await call(apiRoute.POST, "POST", "/api/v1/triggers", {
      cookie: x.admin.cookie,
      body: {
        name: "Other org's group",
        conditions: { all: [{ field: "group", op: "is", value: (await newGroup(B)).id }] },
        actions: [{ type: "set_priority", value: "low" }],
      },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe("conditions.all.0.value");
    const t = await newTicket(x.customer, { subject: "hello" });
    expect((await api.getTicket(x.agent, t.id)).body.priority).toBe("normal");
    const p = await api.patchTicket(x.agent, t.id, { groupId: g.id });
    expect(p.body).toMatchObject({ groupId: g.id, priority: "urgent" });
  });

  it("deleting a group leaves its tickets without one", async () => {
    const x = await createWorld();
    const g = await newGroup(x);
    const t = await newTicket(x.customer, { subject: "orphan" });
    await api.patchTicket(x.agent, t.id, { groupId: g.id });
    expect((await call(apiRoute.DELETE, "DELETE", `/api/v1/groups/${g.id}`, { cookie: x.admin.cookie })).status).toBe(
      204,
    );
    expect((await api.getTicket(x.agent, t.id)).body.groupId).toBeNull();
  });

  it("another org cannot set A's ticket's group, nor see it", async () => {
    const g = await newGroup(A);
    const mine = await newGroup(B);
    const t = await newTicket(A.customer, { subject: "walls" });
    await api.patchTicket(A.agent, t.id, { groupId: g.id });
    for (const groupId of [mine.id, null]) expect((await api.patchTicket(B.agent, t.id, { groupId })).status).toBe(404);
    expect((await api.getTicket(B.agent, t.id)).status).toBe(404);
    expect((await row(t.id)).group_id).toBe(g.id);
  });
});
