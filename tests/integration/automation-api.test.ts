import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { api, newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// The automation endpoints through the route table (issue 13 item 5): triggers, time rules,
// groups and macros — CRUD, validation, dry runs, roles, audit and the wall between orgs.

let A: World, B: World;
beforeAll(async () => {
  [A, B] = await Promise.all([createWorld(), createWorld()]);
});

type Who = { cookie: string };
const get = (who: Who, path: string) => call(apiRoute.GET, "GET", path, { cookie: who.cookie });
const post = (who: Who, path: string, body?: unknown) =>
  call(apiRoute.POST, "POST", path, { cookie: who.cookie, body });
const patch = (who: Who, path: string, body: unknown) =>
  call(apiRoute.PATCH, "PATCH", path, { cookie: who.cookie, body });
const put = (who: Who, path: string, body: unknown) => call(apiRoute.PUT, "PUT", path, { cookie: who.cookie, body });
const del = (who: Who, path: string) => call(apiRoute.DELETE, "DELETE", path, { cookie: who.cookie });

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const audits = (orgId: string, action: string) =>
  q<{ entity_id: string | null; data: Record<string, unknown> }>(
    sql`select entity_id, data from audit_events where org_id = ${orgId} and action = ${action} order by seq`,
  );
/** Everything a request could have changed in an org, to show that a refused one changed nothing. */
const snapshot = async (orgId: string) =>
  JSON.stringify(
    await q(sql`select
    (select coalesce(json_agg(t order by t.id), '[]') from triggers t where org_id = ${orgId}) as triggers,
    (select coalesce(json_agg(t order by t.id), '[]') from automations t where org_id = ${orgId}) as automations,
    (select coalesce(json_agg(t order by t.id), '[]') from groups t where org_id = ${orgId}) as groups,
    (select coalesce(json_agg(t order by t.group_id, t.user_id), '[]') from group_members t where org_id = ${orgId}) as members,
    (select coalesce(json_agg(t order by t.id), '[]') from macros t where org_id = ${orgId}) as macros,
    (select coalesce(json_agg(t order by t.id), '[]') from tickets t where org_id = ${orgId}) as tickets,
    (select count(*) from comments where org_id = ${orgId}) as comments,
    (select count(*) from audit_events where org_id = ${orgId}) as audit`),
  );

const refundRule = (over: Record<string, unknown> = {}) => ({
  name: "Refunds are urgent",
  conditions: { all: [{ field: "subject", op: "contains", value: "refund" }] },
  actions: [
    { type: "set_priority", value: "urgent" },
    { type: "add_tags", value: ["refund"] },
  ],
  ...over,
});
const solvedRule = (over: Record<string, unknown> = {}) => ({
  name: "Nudge solved after a day",
  conditions: {
    all: [
      { field: "hours_since", anchor: "created", op: "gte", value: 0 },
      { field: "status", op: "is", value: "new" },
    ],
  },
  actions: [{ type: "add_tags", value: ["aged"] }],
  ...over,
});

describe("triggers API", () => {
  it("an admin creates, lists, reads, changes, disables, reorders and deletes triggers; each change is audited; a created trigger runs on the next write", async () => {
    const x = await createWorld();
    const r = await post(x.admin, "/api/v1/triggers", refundRule());
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({
      name: "Refunds are urgent",
      position: 0,
      active: true,
      firedCount: 0,
      lastError: null,
      conditions: { all: [{ field: "subject" }], any: [] },
    });
    const second = (
      await post(
        x.admin,
        "/api/v1/triggers",
        refundRule({ name: "Second", actions: [{ type: "add_tags", value: ["two"] }] }),
      )
    ).body;
    expect(second.position).toBe(1);

    // The rule runs on a ticket write: the customer's refund ticket comes out urgent and tagged.
    const t = await newTicket(x.customer, { subject: "I want a refund" });
    const seen = (await api.getTicket(x.agent, t.id)).body;
    expect(seen).toMatchObject({ priority: "urgent" });
    expect(seen.tags).toEqual(expect.arrayContaining(["refund", "two"]));
    expect((await get(x.admin, `/api/v1/triggers/${r.body.id}`)).body.firedCount).toBe(1);

    // PATCH changes only what is sent; {active: false} disables, and a disabled rule no longer runs.
    const p = await patch(x.admin, `/api/v1/triggers/${r.body.id}`, { active: false });
    expect(p.status, p.text).toBe(200);
    expect(p.body).toMatchObject({ name: "Refunds are urgent", active: false, actions: r.body.actions });
    const t2 = await newTicket(x.customer, { subject: "another refund" });
    expect((await api.getTicket(x.agent, t2.id)).body.priority).toBe("normal");
    const renamed = await patch(x.admin, `/api/v1/triggers/${r.body.id}`, { name: "Refunds", active: true });
    expect(renamed.body).toMatchObject({ name: "Refunds", active: true });

    // Order: the list runs first to last; PUT /order sets it.
    expect((await get(x.admin, "/api/v1/triggers")).body.data.map((d: { id: string }) => d.id)).toEqual([
      r.body.id,
      second.id,
    ]);
    const o = await put(x.admin, "/api/v1/triggers/order", { ids: [second.id, r.body.id] });
    expect(o.status, o.text).toBe(200);
    expect(o.body.data.map((d: { id: string; position: number }) => [d.id, d.position])).toEqual([
      [second.id, 0],
      [r.body.id, 1],
    ]);
    expect((await get(x.admin, "/api/v1/triggers")).body.data.map((d: { id: string }) => d.id)).toEqual([
      second.id,
      r.body.id,
    ]);

    expect((await del(x.admin, `/api/v1/triggers/${second.id}`)).status).toBe(204);
    expect((await get(x.admin, `/api/v1/triggers/${second.id}`)).status).toBe(404);
    expect((await get(x.admin, "/api/v1/triggers")).body.data).toHaveLength(1);

    expect((await audits(x.org.id, "trigger.created")).map((e) => e.entity_id)).toEqual([r.body.id, second.id]);
    const updates = await audits(x.org.id, "trigger.updated");
    expect(updates.map((e) => e.data.fields)).toEqual([["active"], ["name", "active"]]);
    expect((await audits(x.org.id, "trigger.reordered"))[0]!.data).toEqual({ ids: [second.id, r.body.id] });
    expect((await audits(x.org.id, "trigger.deleted")).map((e) => e.entity_id)).toEqual([second.id]);
  });

  it("bad input is a 400 naming each path, and changes nothing", async () => {
    const group = (await post(B.admin, "/api/v1/groups", { name: `B team ${randomUUID()}` })).body;
    const before = await snapshot(A.org.id);
    const cases: [unknown, string[]][] = [
      [{}, ["name", "conditions", "actions"]],
      [refundRule({ actions: [] }), ["actions"]],
      [refundRule({ extra: 1 }), [""]],
      [refundRule({ conditions: { all: [{ field: "subject", op: "is", value: "x" }] } }), ["conditions.all.0"]],
      [
        refundRule({ conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 4 }] } }),
        ["conditions.all.0"],
      ],
      [refundRule({ actions: [{ type: "add_note", body: "Hi {{requester.shoe_size}}" }] }), ["actions.0.body"]],
      // Another org's group is as unknown as a made-up one.
      [
        refundRule({ actions: [{ type: "assign_group", groupId: group.id, strategy: "round_robin" }] }),
        ["actions.0.groupId"],
      ],
      [
        refundRule({
          actions: [
            { type: "set_assignee", value: B.agent.id },
            { type: "set_assignee", value: A.customer.id },
          ],
        }),
        ["actions.0.value", "actions.1.value"],
      ],
    ];
    for (const [body, paths] of cases) {
      const r = await post(A.admin, "/api/v1/triggers", body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
      const got = (r.body.error.details.issues as { path: string }[]).map((i) => i.path);
      for (const path of paths) expect(got, `${JSON.stringify(body)} → ${r.text}`).toContain(path);
      // The validate-only call answers exactly what saving would.
      const v = await post(A.admin, "/api/v1/triggers/validate", body);
      expect(v.status).toBe(400);
      expect(v.body.error.details.issues).toEqual(r.body.error.details.issues);
    }
    const saved = (await post(A.admin, "/api/v1/triggers", refundRule({ active: false }))).body;
    const mid = await snapshot(A.org.id);
    for (const body of [
      {},
      { name: "" },
      { active: "no" },
      { actions: [] },
      { conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 1 }] } },
      { shoe: 1 },
    ]) {
      const r = await patch(A.admin, `/api/v1/triggers/${saved.id}`, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    expect((await get(A.admin, "/api/v1/triggers/not-a-uuid")).status).toBe(400);
    expect((await get(A.admin, `/api/v1/triggers/${randomUUID()}`)).status).toBe(404);
    const all = (await get(A.admin, "/api/v1/triggers")).body.data.map((d: { id: string }) => d.id) as string[];
    for (const ids of [all.slice(1), [...all, all[0]], [...all, randomUUID()], []]) {
      if (ids.length === 0 && all.length === 0) continue;
      const r = await put(A.admin, "/api/v1/triggers/order", { ids });
      expect(r.status, JSON.stringify(ids)).toBe(400);
    }
    expect(await snapshot(A.org.id)).toBe(mid);
    expect(before).not.toBe(mid); // the one valid create above did change something: the snapshot sees changes
    expect((await post(A.admin, "/api/v1/triggers/validate", refundRule())).body).toEqual({ valid: true });
    expect(await snapshot(A.org.id)).toBe(mid);
  });

  it("a dry run against ticket #n says whether the draft matches and what it would change, and writes nothing", async () => {
    const x = await createWorld();
    const group = (await post(x.admin, "/api/v1/groups", { name: "Billing", memberIds: [x.agent.id] })).body;
    const t = await newTicket(x.customer, { subject: "Refund please" });
    const before = await snapshot(x.org.id);
    const rule = refundRule({
      actions: [
        { type: "set_priority", value: "high" },
        { type: "assign_group", groupId: group.id, strategy: "round_robin" },
        { type: "add_note", body: "Refund for {{requester.email}} on #{{ticket.number}}" },
      ],
    });
    const r = await post(x.admin, "/api/v1/triggers/test", { rule, ticketNumber: t.number });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toMatchObject({
      ticketId: t.id,
      matched: true,
      changes: { priority: { from: "normal", to: "high" }, assigneeId: { from: null, to: x.agent.id } },
      effects: expect.arrayContaining([
        { type: "note", body: `Refund for ${x.customer.email} on #${t.number}` },
        { type: "assign", groupId: group.id, strategy: "round_robin", assigneeId: x.agent.id },
      ]),
    });
    const miss = await post(x.admin, "/api/v1/triggers/test", {
      rule: refundRule({ conditions: { all: [{ field: "subject", op: "contains", value: "printer" }] } }),
      ticketNumber: t.number,
    });
    expect(miss.body).toMatchObject({ matched: false, changes: {}, effects: [] });
    // The event to imagine is a condition like any other.
    const onCreate = refundRule({ conditions: { all: [{ field: "event", op: "is", value: "created" }] } });
    expect(
      (await post(x.admin, "/api/v1/triggers/test", { rule: onCreate, ticketNumber: t.number })).body.matched,
    ).toBe(false);
    expect(
      (await post(x.admin, "/api/v1/triggers/test", { rule: onCreate, ticketNumber: t.number, event: "created" })).body
        .matched,
    ).toBe(true);
    // A saved rule, by id (even disabled).
    const saved = (await post(x.admin, "/api/v1/triggers", { ...rule, active: false })).body;
    const mid = await snapshot(x.org.id);
    const bySaved = await post(x.admin, `/api/v1/triggers/${saved.id}/test`, { ticketNumber: t.number });
    expect(bySaved.status, bySaved.text).toBe(200);
    expect(bySaved.body.changes).toEqual(r.body.changes);
    expect(await snapshot(x.org.id)).toBe(mid);
    expect(before).not.toBe(mid);
    // Errors: no such ticket 404; a bad draft 400 naming the path; a bad ticket number 400.
    expect((await post(x.admin, "/api/v1/triggers/test", { rule, ticketNumber: 9999 })).status).toBe(404);
    const bad = await post(x.admin, "/api/v1/triggers/test", {
      rule: refundRule({ actions: [{ type: "add_note", body: "{{nope}}" }] }),
      ticketNumber: t.number,
    });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.issues[0].path).toBe("actions.0.body");
    expect((await post(x.admin, "/api/v1/triggers/test", { rule, ticketNumber: "1" })).status).toBe(400);
    expect((await post(x.admin, `/api/v1/triggers/${randomUUID()}/test`, { ticketNumber: t.number })).status).toBe(404);
    // An action that cannot run on the ticket now (the webhook was switched off) is a 409, not a 500.
    const [hook] = await q<{ id: string }>(
      sql`insert into webhooks (org_id, url, secret, events, active) values (${x.org.id}, 'https://hooks.example.test/x', 'secret-secret-secret', '{}', true) returning id`,
    );
    const withHook = (
      await post(
        x.admin,
        "/api/v1/triggers",
        refundRule({ active: false, actions: [{ type: "webhook", webhookId: hook!.id }] }),
      )
    ).body;
    await q(sql`update webhooks set active = false where id = ${hook!.id}`);
    const gone = await post(x.admin, `/api/v1/triggers/${withHook.id}/test`, { ticketNumber: t.number });
    expect(gone.status, gone.text).toBe(409);
    expect(gone.body.error.message).toContain("webhook");
    expect((await api.getTicket(x.agent, t.id)).body).toMatchObject({ priority: "normal", assigneeId: null });
  });
});

describe("automations (time rules) API", () => {
  it("CRUD, validation of time-rule conditions, and a dry run that counts hours from the ticket's anchors", async () => {
    const x = await createWorld();
    const c = await post(x.admin, "/api/v1/automations", solvedRule());
    expect(c.status, c.text).toBe(201);
    // A time rule needs its schedule, and has no write to describe.
    const noSchedule = await post(x.admin, "/api/v1/automations", refundRule());
    expect(noSchedule.status).toBe(400);
    expect(noSchedule.body.error.details.issues.map((i: { path: string }) => i.path)).toContain("conditions.all");
    const withEvent = await post(
      x.admin,
      "/api/v1/automations",
      solvedRule({
        conditions: {
          all: [
            { field: "hours_since", anchor: "created", op: "gte", value: 1 },
            { field: "event", op: "is", value: "created" },
          ],
        },
      }),
    );
    expect(withEvent.body.error.details.issues.map((i: { path: string }) => i.path)).toContain("conditions.all.1");

    const t = await newTicket(x.customer, { subject: "Old one" });
    const test = await post(x.admin, "/api/v1/automations/test", { rule: solvedRule(), ticketNumber: t.number });
    expect(test.status, test.text).toBe(200);
    expect(test.body).toMatchObject({ matched: true, changes: { tags: { from: [], to: ["aged"] } } });
    const later = solvedRule({
      conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 5 }] },
    });
    expect(
      (await post(x.admin, "/api/v1/automations/test", { rule: later, ticketNumber: t.number })).body.matched,
    ).toBe(false);
    expect(
      (await post(x.admin, `/api/v1/automations/${c.body.id}/test`, { ticketNumber: t.number })).body.matched,
    ).toBe(true);

    const p = await patch(x.admin, `/api/v1/automations/${c.body.id}`, { active: false, name: "Aged" });
    expect(p.body).toMatchObject({ active: false, name: "Aged" });
    expect((await put(x.admin, "/api/v1/automations/order", { ids: [c.body.id] })).status).toBe(200);
    expect((await get(x.admin, "/api/v1/automations")).body.data.map((d: { id: string }) => d.id)).toEqual([c.body.id]);
    expect((await del(x.admin, `/api/v1/automations/${c.body.id}`)).status).toBe(204);
    expect((await get(x.admin, `/api/v1/automations/${c.body.id}`)).status).toBe(404);
    // Triggers and automations are separate sets: a trigger id is not an automation.
    const tr = (await post(x.admin, "/api/v1/triggers", refundRule({ active: false }))).body;
    expect((await get(x.admin, `/api/v1/automations/${tr.id}`)).status).toBe(404);
    for (const action of ["created", "updated", "reordered", "deleted"])
      expect((await audits(x.org.id, `automation.${action}`)).length, action).toBe(1);
    expect((await get(x.admin, "/api/v1/triggers")).body.data).toHaveLength(1);
  });
});

describe("rules: roles and the wall between orgs", () => {
  it("agents and customers are refused every rule endpoint (403), and nothing changes", async () => {
    const rule = (await post(A.admin, "/api/v1/triggers", refundRule({ active: false }))).body;
    const t = await newTicket(A.customer, { subject: "role test" });
    const before = await snapshot(A.org.id);
    for (const who of [A.agent, A.customer]) {
      for (const base of ["/api/v1/triggers", "/api/v1/automations"]) {
        expect((await get(who, base)).status).toBe(403);
        expect((await post(who, base, refundRule())).status).toBe(403);
        expect((await post(who, `${base}/validate`, refundRule())).status).toBe(403);
        expect((await post(who, `${base}/test`, { rule: refundRule(), ticketNumber: t.number })).status).toBe(403);
        expect((await put(who, `${base}/order`, { ids: [rule.id] })).status).toBe(403);
      }
      expect((await get(who, `/api/v1/triggers/${rule.id}`)).status).toBe(403);
      expect((await patch(who, `/api/v1/triggers/${rule.id}`, { active: true })).status).toBe(403);
      expect((await del(who, `/api/v1/triggers/${rule.id}`)).status).toBe(403);
      expect((await post(who, `/api/v1/triggers/${rule.id}/test`, { ticketNumber: t.number })).status).toBe(403);
    }
    expect(await snapshot(A.org.id)).toBe(before);
  });

  it("another org's admin cannot read, change, delete, reorder or test A's rules, nor test against A's tickets", async () => {
    const rule = (await post(A.admin, "/api/v1/triggers", refundRule({ active: false }))).body;
    const timeRule = (await post(A.admin, "/api/v1/automations", solvedRule({ active: false }))).body;
    // A has more tickets than B, so #n names a ticket only in A.
    let last = 0;
    for (let i = 0; i < 3; i++) last = (await newTicket(A.customer, { subject: `A ${i}` })).number;
    const [bMax] = await q<{ n: number }>(
      sql`select coalesce(max(number), 0)::int as n from tickets where org_id = ${B.org.id}`,
    );
    expect(last).toBeGreaterThan(bMax!.n);
    const before = await snapshot(A.org.id);
    for (const [base, id] of [
      ["/api/v1/triggers", rule.id],
      ["/api/v1/automations", timeRule.id],
    ] as const) {
      expect((await get(B.admin, `${base}/${id}`)).status).toBe(404);
      expect((await patch(B.admin, `${base}/${id}`, { active: true })).status).toBe(404);
      expect((await del(B.admin, `${base}/${id}`)).status).toBe(404);
      expect((await post(B.admin, `${base}/${id}/test`, { ticketNumber: 1 })).status).toBe(404);
      expect((await get(B.admin, base)).body.data.map((d: { id: string }) => d.id)).not.toContain(id);
      const o = await put(B.admin, `${base}/order`, { ids: [id] });
      expect(o.status).toBe(400);
      expect(o.text).not.toContain(A.org.id);
    }
    const test = await post(B.admin, "/api/v1/triggers/test", { rule: refundRule(), ticketNumber: last });
    expect(test.status).toBe(404);
    expect(test.text).not.toContain(A.org.id);
    expect(await snapshot(A.org.id)).toBe(before);
  });
});

describe("groups API", () => {
  it("admins shape groups; agents read them and mark themselves away; every change is audited", async () => {
    const x = await createWorld();
    const c = await post(x.admin, "/api/v1/groups", { name: "Billing", memberIds: [x.agent.id, x.agent2.id] });
    expect(c.status, c.text).toBe(201);
    expect(c.body.members.map((m: { userId: string }) => m.userId).sort()).toEqual([x.agent.id, x.agent2.id].sort());
    expect((await get(x.agent, "/api/v1/groups")).body.data.map((g: { id: string }) => g.id)).toEqual([c.body.id]);
    expect((await get(x.agent, `/api/v1/groups/${c.body.id}`)).body.name).toBe("Billing");

    const away = await patch(x.agent, `/api/v1/groups/${c.body.id}/members/${x.agent.id}`, { away: true });
    expect(away.status, away.text).toBe(200);
    expect(away.body.members.find((m: { userId: string }) => m.userId === x.agent.id).away).toBe(true);
    // An agent cannot set someone else's flag; an admin can.
    expect((await patch(x.agent, `/api/v1/groups/${c.body.id}/members/${x.agent2.id}`, { away: true })).status).toBe(
      403,
    );
    expect((await patch(x.admin, `/api/v1/groups/${c.body.id}/members/${x.agent2.id}`, { away: true })).status).toBe(
      200,
    );
    expect((await patch(x.admin, `/api/v1/groups/${c.body.id}/members/${x.admin.id}`, { away: true })).status).toBe(
      404,
    );
    expect((await patch(x.admin, `/api/v1/groups/${c.body.id}/members/${x.agent2.id}`, { away: "yes" })).status).toBe(
      400,
    );

    // Rename; set members (kept members keep their flag).
    const p = await patch(x.admin, `/api/v1/groups/${c.body.id}`, {
      name: "Billing EU",
      memberIds: [x.agent.id, x.admin.id],
    });
    expect(p.status, p.text).toBe(200);
    expect(p.body.name).toBe("Billing EU");
    expect(p.body.members).toEqual(
      expect.arrayContaining([
        { userId: x.agent.id, away: true },
        { userId: x.admin.id, away: false },
      ]),
    );
    expect(p.body.members).toHaveLength(2);
    expect((await patch(x.admin, `/api/v1/groups/${c.body.id}`, { name: "Billing" })).body.members).toHaveLength(2);

    expect((await del(x.admin, `/api/v1/groups/${c.body.id}`)).status).toBe(204);
    expect((await get(x.agent, `/api/v1/groups/${c.body.id}`)).status).toBe(404);
    for (const action of ["created", "updated", "deleted"])
      expect((await audits(x.org.id, `group.${action}`)).length, action).toBeGreaterThan(0);
    expect((await audits(x.org.id, "group.member_away")).map((e) => e.data)).toEqual([
      { userId: x.agent.id, away: true },
      { userId: x.agent2.id, away: true },
    ]);
  });

  it("bad input is a 400 (or a 409 for a taken name), and agents and customers cannot shape groups", async () => {
    const x = await createWorld();
    const g = (await post(x.admin, "/api/v1/groups", { name: "Tier 1" })).body;
    const before = await snapshot(x.org.id);
    for (const body of [
      {},
      { name: "" },
      { name: "x".repeat(101) },
      { name: "T", memberIds: ["nope"] },
      { name: "T", extra: 1 },
    ]) {
      expect((await post(x.admin, "/api/v1/groups", body)).status, JSON.stringify(body)).toBe(400);
    }
    const customerMember = await post(x.admin, "/api/v1/groups", {
      name: "T2",
      memberIds: [x.agent.id, x.customer.id, B.agent.id],
    });
    expect(customerMember.status).toBe(400);
    expect(customerMember.body.error.details.issues.map((i: { path: string }) => i.path)).toEqual([
      "memberIds.1",
      "memberIds.2",
    ]);
    expect((await post(x.admin, "/api/v1/groups", { name: "tier 1" })).status).toBe(409);
    expect((await patch(x.admin, `/api/v1/groups/${g.id}`, {})).status).toBe(400);
    expect((await patch(x.admin, `/api/v1/groups/${g.id}`, { memberIds: [B.agent.id] })).status).toBe(400);
    for (const who of [x.agent, x.customer]) {
      expect((await post(who, "/api/v1/groups", { name: "Mine" })).status).toBe(403);
      expect((await patch(who, `/api/v1/groups/${g.id}`, { name: "Mine" })).status).toBe(403);
      expect((await del(who, `/api/v1/groups/${g.id}`)).status).toBe(403);
    }
    expect((await get(x.customer, "/api/v1/groups")).status).toBe(403);
    expect((await get(x.customer, `/api/v1/groups/${g.id}`)).status).toBe(403);
    expect(await snapshot(x.org.id)).toBe(before);
  });

  it("another org cannot read, change, delete or mark away in A's groups", async () => {
    const g = (await post(A.admin, "/api/v1/groups", { name: `A team ${randomUUID()}`, memberIds: [A.agent.id] })).body;
    const before = await snapshot(A.org.id);
    for (const who of [B.admin, B.agent]) {
      expect((await get(who, `/api/v1/groups/${g.id}`)).status).toBe(404);
      expect((await get(who, "/api/v1/groups")).body.data.map((d: { id: string }) => d.id)).not.toContain(g.id);
      expect((await patch(who, `/api/v1/groups/${g.id}/members/${A.agent.id}`, { away: true })).status).toBe(404);
    }
    expect((await patch(B.admin, `/api/v1/groups/${g.id}`, { name: "Stolen" })).status).toBe(404);
    expect((await del(B.admin, `/api/v1/groups/${g.id}`)).status).toBe(404);
    expect(await snapshot(A.org.id)).toBe(before);
  });
});

describe("macros API", () => {
  it("admins manage shared macros; agents read shared + their own and manage their personal ones; nobody sees another's", async () => {
    const x = await createWorld();
    const shared = await post(x.admin, "/api/v1/macros", {
      name: "Thanks",
      reply: "Hi {{requester.first_name}}, thanks!",
      actions: [{ type: "set_status", value: "pending" }],
    });
    expect(shared.status, shared.text).toBe(201);
    expect(shared.body).toMatchObject({ shared: true, ownerId: null });
    // Agents create personal macros; a shared one is refused.
    expect((await post(x.agent, "/api/v1/macros", { name: "Mine", reply: "x" })).status).toBe(403);
    const mine = await post(x.agent, "/api/v1/macros", {
      name: "Mine",
      shared: false,
      reply: "Cheers, {{agent.first_name}}",
    });
    expect(mine.status, mine.text).toBe(201);
    expect(mine.body).toMatchObject({ shared: false, ownerId: x.agent.id });
    expect((await get(x.agent, "/api/v1/macros")).body.data.map((m: { id: string }) => m.id).sort()).toEqual(
      [shared.body.id, mine.body.id].sort(),
    );
    expect((await get(x.agent2, "/api/v1/macros")).body.data.map((m: { id: string }) => m.id)).toEqual([
      shared.body.id,
    ]);
    expect((await get(x.admin, "/api/v1/macros")).body.data.map((m: { id: string }) => m.id)).toEqual([shared.body.id]);
    expect((await get(x.agent2, `/api/v1/macros/${mine.body.id}`)).status).toBe(404);
    expect((await patch(x.agent2, `/api/v1/macros/${mine.body.id}`, { name: "Taken" })).status).toBe(404);
    expect((await del(x.admin, `/api/v1/macros/${mine.body.id}`)).status).toBe(404);
    // Agents cannot change shared ones; owners change theirs; admins change shared ones.
    expect((await patch(x.agent, `/api/v1/macros/${shared.body.id}`, { name: "Mine now" })).status).toBe(403);
    expect((await del(x.agent, `/api/v1/macros/${shared.body.id}`)).status).toBe(403);
    const p = await patch(x.agent, `/api/v1/macros/${mine.body.id}`, { name: "Mine v2" });
    expect(p.status, p.text).toBe(200);
    expect(p.body).toMatchObject({ name: "Mine v2", reply: "Cheers, {{agent.first_name}}", shared: false });
    expect((await patch(x.admin, `/api/v1/macros/${shared.body.id}`, { reply: null })).body).toMatchObject({
      name: "Thanks",
      reply: null,
      actions: shared.body.actions,
    });
    expect((await del(x.agent, `/api/v1/macros/${mine.body.id}`)).status).toBe(204);
    // Customers have no macros.
    expect((await get(x.customer, "/api/v1/macros")).status).toBe(403);
    expect((await post(x.customer, "/api/v1/macros", { name: "c", shared: false })).status).toBe(403);
    for (const action of ["created", "updated", "deleted"])
      expect((await audits(x.org.id, `macro.${action}`)).length, action).toBeGreaterThan(0);
  });

  it("bad input is a 400 naming the path (placeholders, actions a macro cannot do), and changes nothing", async () => {
    const x = await createWorld();
    const m = (await post(x.admin, "/api/v1/macros", { name: "Base", reply: "Hello" })).body;
    const before = await snapshot(x.org.id);
    const cases: [unknown, string][] = [
      [{ name: "" }, "name"],
      [{ name: "R", reply: "Hi {{requester.shoe_size}}" }, "reply"],
      [{ name: "R", actions: [{ type: "webhook", webhookId: randomUUID() }] }, "actions.0.type"],
      [{ name: "R", actions: [{ type: "set_status", value: "gone" }] }, "actions.0.value"],
      [{ name: "R", shared: "yes" }, "shared"],
    ];
    for (const [body, path] of cases) {
      for (const url of ["/api/v1/macros", "/api/v1/macros/validate"]) {
        const r = await post(x.admin, url, body);
        expect(r.status, `${url} ${JSON.stringify(body)}`).toBe(400);
        expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
      }
    }
    expect((await patch(x.admin, `/api/v1/macros/${m.id}`, {})).status).toBe(400);
    expect((await patch(x.admin, `/api/v1/macros/${m.id}`, { shared: false })).status).toBe(400);
    expect((await patch(x.admin, `/api/v1/macros/${m.id}`, { reply: "{{nope}}" })).status).toBe(400);
    expect(
      (await post(x.admin, "/api/v1/macros/validate", { name: "OK", reply: "Hi {{requester.name}}" })).body,
    ).toEqual({ valid: true });
    expect(await snapshot(x.org.id)).toBe(before);
  });

  it("preview shows the changes and the rendered reply and writes nothing; apply changes the ticket, is audited and in the history, and returns the reply", async () => {
    const x = await createWorld();
    const m = (
      await post(x.admin, "/api/v1/macros", {
        name: "Escalate",
        reply: "Hi {{requester.email}}, ticket #{{ticket.number}} is now {{ticket.priority}}.",
        actions: [
          { type: "set_priority", value: "high" },
          { type: "add_tags", value: ["escalated"] },
          { type: "set_assignee", value: x.agent.id },
        ],
      })
    ).body;
    const t = await newTicket(x.customer, { subject: "Help" });
    const before = await snapshot(x.org.id);
    const pv = await post(x.agent, `/api/v1/tickets/${t.id}/macros/${m.id}/preview`);
    expect(pv.status, pv.text).toBe(200);
    expect(pv.body).toEqual({
      ticketId: t.id,
      changes: {
        priority: { from: "normal", to: "high" },
        tags: { from: [], to: ["escalated"] },
        assigneeId: { from: null, to: x.agent.id },
      },
      effects: [],
      reply: `Hi ${x.customer.email}, ticket #${t.number} is now high.`,
    });
    expect(await snapshot(x.org.id)).toBe(before);

    const ap = await post(x.agent, `/api/v1/tickets/${t.id}/macros/${m.id}/apply`);
    expect(ap.status, ap.text).toBe(200);
    expect(ap.body).toEqual(pv.body);
    expect((await api.getTicket(x.agent, t.id)).body).toMatchObject({
      priority: "high",
      tags: ["escalated"],
      assigneeId: x.agent.id,
    });
    const events = (await api.events(x.agent, t.id)).body.data as { action: string; data: Record<string, unknown> }[];
    expect(events.find((e) => e.action === "ticket.macro_applied")?.data).toMatchObject({
      macroId: m.id,
      macroName: "Escalate",
    });
    // The reply is for the composer: no comment was posted.
    expect((await api.listComments(x.agent, t.id)).body.data).toHaveLength(1);

    // Customers cannot preview or apply; a closed ticket is final (409, nothing changes).
    expect((await post(x.customer, `/api/v1/tickets/${t.id}/macros/${m.id}/preview`)).status).toBe(403);
    expect((await post(x.customer, `/api/v1/tickets/${t.id}/macros/${m.id}/apply`)).status).toBe(403);
    await q(sql`update tickets set status = 'closed' where id = ${t.id}`);
    const afterClose = await snapshot(x.org.id);
    expect((await post(x.agent, `/api/v1/tickets/${t.id}/macros/${m.id}/apply`)).status).toBe(409);
    expect((await post(x.agent, `/api/v1/tickets/${randomUUID()}/macros/${m.id}/apply`)).status).toBe(404);
    expect((await post(x.agent, `/api/v1/tickets/${t.id}/macros/${randomUUID()}/apply`)).status).toBe(404);
    expect((await post(x.agent, `/api/v1/tickets/${t.id}/macros/nope/apply`)).status).toBe(400);
    expect(await snapshot(x.org.id)).toBe(afterClose);
  });

  it("another org cannot read, change, preview or apply A's macros, nor apply its own to A's tickets", async () => {
    const m = (
      await post(A.admin, "/api/v1/macros", {
        name: `A macro ${randomUUID()}`,
        actions: [{ type: "set_priority", value: "low" }],
      })
    ).body;
    const mineB = (
      await post(B.admin, "/api/v1/macros", {
        name: `B macro ${randomUUID()}`,
        actions: [{ type: "set_priority", value: "low" }],
      })
    ).body;
    const tA = await newTicket(A.customer, { subject: "A's ticket" });
    const tB = await newTicket(B.customer, { subject: "B's ticket" });
    const before = await snapshot(A.org.id);
    for (const who of [B.admin, B.agent]) {
      expect((await get(who, `/api/v1/macros/${m.id}`)).status).toBe(404);
      expect((await get(who, "/api/v1/macros")).body.data.map((d: { id: string }) => d.id)).not.toContain(m.id);
      expect((await post(who, `/api/v1/tickets/${tB.id}/macros/${m.id}/preview`)).status).toBe(404);
      expect((await post(who, `/api/v1/tickets/${tB.id}/macros/${m.id}/apply`)).status).toBe(404);
      expect((await post(who, `/api/v1/tickets/${tA.id}/macros/${mineB.id}/preview`)).status).toBe(404);
      expect((await post(who, `/api/v1/tickets/${tA.id}/macros/${mineB.id}/apply`)).status).toBe(404);
    }
    expect((await patch(B.admin, `/api/v1/macros/${m.id}`, { name: "Stolen" })).status).toBe(404);
    expect((await del(B.admin, `/api/v1/macros/${m.id}`)).status).toBe(404);
    expect(await snapshot(A.org.id)).toBe(before);
    expect((await api.getTicket(B.agent, tB.id)).body.priority).toBe("normal");
  });
});
