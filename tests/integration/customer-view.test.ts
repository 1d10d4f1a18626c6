import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as listNotifications } from "../helpers/http";
import { apiRoute as slaSettingsRoute } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { handleNotify } from "../../src/server/notifications/notify";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createWorld, type Actor, type World } from "../helpers/world";

// Issue 18 item 10: customers saw staff-only tags, priority and assigneeId through the API and
// could filter by a staff tag. Issue 11 item 6: customers saw the team's internal SLA due times.

let w: World, other: World;
let ticketId: string;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  // Triaged by an agent on the customer's behalf: a staff tag, a priority, an assignee.
  const t = await newTicket(w.agent, { requesterId: w.customer.id, priority: "high", tags: ["refund-fraud-suspect"] });
  await api.patchTicket(w.agent, t.id, { assigneeId: w.agent.id });
  ticketId = t.id;
});

const settings = {
  get: (who: Actor) => call(slaSettingsRoute.GET, "GET", "/api/v1/org/sla-settings", { cookie: who.cookie }),
  put: (who: Actor, body: unknown) =>
    call(slaSettingsRoute.PUT, "PUT", "/api/v1/org/sla-settings", { cookie: who.cookie, body }),
};
const SLA_FIELDS = ["firstResponseDue", "firstResponseAt", "resolveDue", "resolvedAt", "sla"];
const STAFF_FIELDS = ["priority", "tags", "assigneeId"];

afterEach(async () => {
  await settings.put(w.admin, { showSlaToCustomers: false });
});

describe("the customer view of a ticket in the API", () => {
  it("GET, list, create and PATCH give a customer no tags, priority, assignee or SLA fields", async () => {
    const one = await api.getTicket(w.customer, ticketId);
    expect(one.status).toBe(200);
    expect(Object.keys(one.body).sort()).toEqual([
      "createdAt",
      "customFields",
      "id",
      "number",
      "requesterId",
      "status",
      "subject",
      "updatedAt",
    ]);
    const list = await api.listTickets(w.customer);
    const row = list.body.data.find((t: { id: string }) => t.id === ticketId);
    expect(row).toBeDefined();
    for (const f of [...STAFF_FIELDS, ...SLA_FIELDS]) {
      expect(one.body, f).not.toHaveProperty(f);
      expect(row, f).not.toHaveProperty(f);
    }
    const created = await api.createTicket(w.customer, { subject: "Mine", body: "b" });
    expect(created.status).toBe(201);
    const solved = await api.patchTicket(w.customer, created.body.id, { status: "solved" });
    expect(solved.status).toBe(200);
    for (const body of [created.body, solved.body])
      for (const f of [...STAFF_FIELDS, ...SLA_FIELDS]) expect(body, f).not.toHaveProperty(f);
  });

  it("agents and admins still get the full view", async () => {
    for (const who of [w.agent, w.admin]) {
      const r = await api.getTicket(who, ticketId);
      expect(r.body).toMatchObject({ priority: "high", tags: ["refund-fraud-suspect"], assigneeId: w.agent.id });
      expect(r.body.sla!.firstResponse.dueAt).toEqual(expect.any(String));
    }
  });

  it("a customer filtering or sorting by a staff-only field gets 403 naming it, never a narrowed list", async () => {
    for (const [query, fields] of [
      [{ tag: "refund-fraud-suspect" }, ["tag"]],
      [{ tag: "no-such-tag" }, ["tag"]],
      [{ priority: "high" }, ["priority"]],
      [{ assigneeId: w.agent.id }, ["assigneeId"]],
      [{ assigneeId: "none" }, ["assigneeId"]],
      [{ sort: "-priority" }, ["sort"]],
      [{ sla: "breaching" }, ["sla"]],
      [{ sort: "resolveDue" }, ["sort"]],
      [{ tag: "x", priority: "low", sort: "priority" }, ["tag", "priority", "sort"]],
    ] as [Record<string, string>, string[]][]) {
      const r = await api.listTickets(w.customer, query);
      expect(r.status, JSON.stringify(query)).toBe(403);
      expect(r.body.error).toMatchObject({ code: "forbidden", details: { reason: "staff_only_filter", fields } });
      expect(r.body.error.message).toMatch(/staff-only/);
    }
    // The same filters are the staff's everyday tools.
    const staff = await api.listTickets(w.agent, {
      tag: "refund-fraud-suspect",
      priority: "high",
      assigneeId: "me",
      sort: "-priority",
    });
    expect(staff.status).toBe(200);
    expect(staff.body.data.map((t: { id: string }) => t.id)).toContain(ticketId);
    // What the portal itself uses stays allowed.
    expect((await api.listTickets(w.customer, { status: "new,open", q: "Printer", sort: "-createdAt" })).status).toBe(
      200,
    );
  });

  it("a customer's notification carries no priority", async () => {
    const t = await newTicket(w.agent, { requesterId: w.customer2.id, priority: "urgent" });
    await handleNotify({
      orgId: w.org.id,
      kind: "ticket.replied",
      ticketId: t.id,
      actorId: w.agent.id,
      commentId: "00000000-0000-4000-8000-0000000000c1",
    });
    const r = await call(listNotifications, "GET", "/api/v1/notifications", { cookie: w.customer2.cookie });
    const n = r.body.data.find((x) => x.ticketId === t.id);
    expect(n!.payload.ticket).toMatchObject({ id: t.id, number: t.number });
    expect(n!.payload.ticket).not.toHaveProperty("priority");
  });
});

describe("customer-facing SLA (org setting showSlaToCustomers, off by default)", () => {
  it("is off by default; an admin turns it on (audited), and customers then see SLA targets", async () => {
    expect((await settings.get(w.admin)).body).toEqual({ showSlaToCustomers: false });
    expect(await api.getTicket(w.customer, ticketId).then((r) => Object.keys(r.body))).not.toContain("sla");

    const on = await settings.put(w.admin, { showSlaToCustomers: true });
    expect(on.status).toBe(200);
    expect(on.body).toEqual({ showSlaToCustomers: true });
    const one = (await api.getTicket(w.customer, ticketId)).body;
    const staffView = (await api.getTicket(w.agent, ticketId)).body;
    expect(one).toMatchObject({
      firstResponseDue: staffView.firstResponseDue,
      resolveDue: staffView.resolveDue,
      sla: staffView.sla,
    });
    for (const f of STAFF_FIELDS) expect(one, f).not.toHaveProperty(f);
    const sorted = await api.listTickets(w.customer, { sort: "resolveDue" });
    expect(sorted.status).toBe(200);
    // The list shows the same SLA fields as GET, still without the staff-only ones.
    const listed = sorted.body.data.find((t: { id: string }) => t.id === ticketId);
    expect(listed).toMatchObject({
      firstResponseDue: staffView.firstResponseDue,
      resolveDue: staffView.resolveDue,
      sla: staffView.sla,
    });
    for (const f of STAFF_FIELDS) expect(listed, f).not.toHaveProperty(f);
    expect((await api.listTickets(w.customer, { sla: "breaching" })).status).toBe(200);
    expect((await api.listTickets(w.customer, { sort: "priority" })).status).toBe(403);

    const audit = await unsafeWithSystem((tx) =>
      tx.execute<{ data: unknown }>(
        sql`select data from audit_events where org_id = ${w.org.id} and action = 'org.sla_settings_updated' order by seq`,
      ),
    );
    expect(audit.rows[0]!.data).toEqual({ changes: { showSlaToCustomers: { from: false, to: true } } });

    // Another org is untouched by this org's setting.
    const theirs = await newTicket(other.customer);
    expect(Object.keys((await api.getTicket(other.customer, theirs.id)).body)).not.toContain("sla");
    expect((await settings.get(other.admin)).body).toEqual({ showSlaToCustomers: false });

    await settings.put(w.admin, { showSlaToCustomers: false });
    expect(Object.keys((await api.getTicket(w.customer, ticketId)).body)).not.toContain("sla");
  });

  it("only admins read or change it; bad input is 400 and changes nothing", async () => {
    for (const who of [w.agent, w.customer]) {
      expect((await settings.get(who)).status).toBe(403);
      expect((await settings.put(who, { showSlaToCustomers: true })).status).toBe(403);
    }
    for (const body of [{}, { showSlaToCustomers: "yes" }, { showSlaToCustomers: true, extra: 1 }, []]) {
      const r = await settings.put(w.admin, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await settings.get(w.admin)).body).toEqual({ showSlaToCustomers: false });
  });
});
