import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { beforeAll, describe, expect, it } from "vitest";
import type { Scope } from "../../src/server/core/scope";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { QUEUES } from "../../src/server/jobs/queues";
import { createRule, getRule } from "../../src/server/automation/manage-rules";
import { createGroup } from "../../src/server/automation/manage-groups";
import { applyMacro, createMacro, listMacros, previewMacro } from "../../src/server/automation/manage-macros";
import { runTriggers, type TicketChange } from "../../src/server/automation/run-triggers";
import { testRule } from "../../src/server/automation/preview";
import { updateTicket } from "../../src/server/tickets/update-ticket";
import { ticketColumns } from "../../src/server/ticket-model/ticket-view";
import { tickets } from "../../src/server/db/schema/tickets";
import { api, newTicket } from "../helpers/api";
import { jobsIn } from "../helpers/jobs";
import { createWorld, type Actor, type World } from "../helpers/world";

// Triggers on real PostgreSQL, called as the ticket writes will call them (one runTriggers at the
// end of the write, in its transaction). Each test builds its own rules in its own org.

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const scopeOf = (a: Actor, tx: Scope["tx"]): Scope => ({
  tx,
  requestId: `test-${randomUUID()}`,
  user: {
    userId: a.id,
    orgId: a.orgId,
    role: a.role,
    email: a.email,
    name: `${a.role} ${a.email}`,
    mustChangePassword: false,
    sessionVersion: a.sessionVersion,
    via: "session",
  },
});
const as = <T>(a: Actor, fn: (s: Scope) => Promise<T>) => withTenant(a.orgId, (tx) => fn(scopeOf(a, tx)));
const fire = (a: Actor, change: TicketChange) => as(a, (s) => runTriggers(s, change));
const q = <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  unsafeWithSystem((tx) => tx.execute<T>(query)).then((r) => r.rows);
const ticketRow = async (id: string) =>
  (
    await q<{ status: string; priority: string; assignee_id: string | null; tags: string[] }>(
      sql`select status::text, priority::text, assignee_id, tags from tickets where id = ${id}`,
    )
  )[0]!;

/** A fresh org per test where rules must not meet each other. */
async function freshWorld() {
  return createWorld();
}

/**
 * A ticket with its first message, written straight to the database: no ticket write runs, so
 * each test decides exactly which change its triggers see (whether or not the writers call them).
 */
async function plainTicket(x: World, opts: { subject?: string; body?: string; status?: string } = {}) {
  return unsafeWithSystem(async (tx) => {
    const [n] = (
      await tx.execute<{ n: number }>(
        sql`update orgs set ticket_seq = ticket_seq + 1 where id = ${x.org.id} returning ticket_seq as n`,
      )
    ).rows;
    const [t] = (
      await tx.execute<{ id: string; number: number }>(sql`
      insert into tickets (org_id, number, subject, requester_id, status) values (${x.org.id}, ${n!.n}, ${opts.subject ?? "Printer on fire"}, ${x.customer.id}, ${opts.status ?? "new"})
      returning id, number`)
    ).rows;
    const body = opts.body ?? "It is *really* on fire.";
    await tx.execute(
      sql`insert into comments (org_id, ticket_id, author_id, body, body_html) values (${x.org.id}, ${t!.id}, ${x.customer.id}, ${body}, ${body})`,
    );
    return t!;
  });
}

describe("triggers: conditions", () => {
  it("every condition kind is tested against the ticket and the change", async () => {
    const x = await freshWorld();
    const [cal] = await q<{
      id: string;
    }>(sql`insert into calendars (org_id, name, timezone, intervals) values (${x.org.id}, 'always', 'UTC',
      ${JSON.stringify([0, 1, 2, 3, 4, 5, 6].map((day) => ({ day, start: "00:00", end: "24:00" })))}::jsonb) returning id`);
    const domain = x.customer.email.split("@")[1]!;
    const cases: [string, object, boolean][] = [
      ["status-is", { field: "status", op: "is", value: "new" }, true],
      ["status-is-not", { field: "status", op: "is_not", value: "new" }, false],
      ["status-changed-to", { field: "status", op: "changed_to", value: "new" }, true],
      ["priority", { field: "priority", op: "is", value: "normal" }, true],
      ["assignee-none", { field: "assignee", op: "is", value: null }, true],
      ["assignee-agent", { field: "assignee", op: "is", value: x.agent.id }, false],
      ["requester", { field: "requester", op: "is", value: x.customer.id }, true],
      ["requester-other", { field: "requester", op: "is", value: x.customer2.id }, false],
      ["domain", { field: "requester_domain", op: "is", value: domain.toUpperCase() }, true],
      ["domain-other", { field: "requester_domain", op: "is", value: "elsewhere.test" }, false],
      ["subject", { field: "subject", op: "contains", value: "PRINTER" }, true],
      ["subject-not", { field: "subject", op: "not_contains", value: "printer" }, false],
      ["body", { field: "body", op: "contains", value: "really" }, true],
      ["body-other", { field: "body", op: "contains", value: "refund" }, false],
      ["channel", { field: "channel", op: "is", value: "email" }, true],
      ["channel-web", { field: "channel", op: "is", value: "web" }, false],
      ["event", { field: "event", op: "is", value: "created" }, true],
      ["event-comment", { field: "event", op: "is", value: "customer_comment" }, false],
      ["tags", { field: "tags", op: "includes", value: "vip" }, false],
      ["tags-excludes", { field: "tags", op: "excludes", value: "vip" }, true],
      ["sla-ok", { field: "sla_breached", op: "is", value: false }, true],
      ["sla-breached", { field: "sla_breached", op: "is", value: true }, false],
      ["open-hours", { field: "business_hours", op: "is", value: true, calendarId: cal!.id }, true],
    ];
    for (const [tag, condition] of cases) {
      await as(x.admin, (s) =>
        createRule(s, "trigger", {
          name: tag,
          conditions: { all: [condition] },
          actions: [{ type: "add_tags", value: [tag] }],
        }),
      );
    }
    const t = await plainTicket(x);
    const r = await fire(x.customer, {
      ticketId: t.id,
      event: "created",
      channel: "email",
      body: "It is *really* on fire.",
    });
    const tags = (await ticketRow(t.id)).tags;
    for (const [tag, , want] of cases) expect([tag, tags.includes(tag)]).toEqual([tag, want]);
    expect(r!.fired.map((f) => f.name).sort()).toEqual(
      cases
        .filter((c) => c[2])
        .map((c) => c[0])
        .sort(),
    );
  });

  it("any-groups need one match, all-groups every one; changes made by one rule are seen by the next", async () => {
    const x = await freshWorld();
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "vip by tag",
        position: 5,
        conditions: {
          any: [
            { field: "tags", op: "includes", value: "vip" },
            { field: "subject", op: "contains", value: "ceo" },
          ],
        },
        actions: [{ type: "set_priority", value: "urgent" }],
      }),
    );
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "urgent tags",
        position: 0,
        conditions: {
          all: [
            { field: "priority", op: "is", value: "urgent" },
            { field: "status", op: "is", value: "new" },
          ],
        },
        actions: [{ type: "add_tags", value: ["escalated"] }],
      }),
    );
    const plain = await plainTicket(x);
    expect(await fire(x.customer, { ticketId: plain.id, event: "created" })).toMatchObject({ fired: [] });
    const ceo = await plainTicket(x, { subject: "From the CEO" });
    const r = await fire(x.customer, { ticketId: ceo.id, event: "created" });
    // "urgent tags" comes first but only matches after "vip by tag" fired: a second round.
    expect(r!.fired.map((f) => f.name)).toEqual(["vip by tag", "urgent tags"]);
    expect(r!.rounds).toBe(3);
    expect(await ticketRow(ceo.id)).toMatchObject({ priority: "urgent", tags: ["escalated"] });
  });
});

describe("triggers: actions, audit and history", () => {
  it("subject contains refund → priority high, group Billing round-robin, tag, note, email, notify, webhook; the history names the rule", async () => {
    const x = await freshWorld();
    const billing = await as(x.admin, (s) => createGroup(s, { name: "Billing", memberIds: [x.agent.id, x.agent2.id] }));
    const [hook] = await q<{ id: string }>(
      sql`insert into webhooks (org_id, url, secret, events) values (${x.org.id}, 'https://hooks.example.com/beacon', 'whsec-test', '{}') returning id`,
    );
    const rule = await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "Refunds to Billing",
        conditions: {
          all: [
            { field: "subject", op: "contains", value: "refund" },
            { field: "event", op: "is", value: "created" },
          ],
        },
        actions: [
          { type: "set_priority", value: "high" },
          { type: "assign_group", groupId: billing.id, strategy: "round_robin" },
          { type: "add_tags", value: ["refund"] },
          { type: "add_note", body: "Routed to Billing for {{requester.first_name}} (#{{ticket.number}})" },
          {
            type: "email_requester",
            subject: "We got your refund request #{{ticket.number}}",
            body: "Hello {{requester.name}}, {{assignee.name}} will help.",
          },
          { type: "notify", target: "assignee", title: "Refund #{{ticket.number}}", body: "yours" },
          { type: "webhook", webhookId: hook!.id },
        ],
      }),
    );
    const t = await plainTicket(x, { subject: "I want a REFUND" });
    const r = await fire(x.customer, { ticketId: t.id, event: "created" });
    expect(r!.fired.map((f) => f.id)).toEqual([rule.id]);
    const row = await ticketRow(t.id);
    expect(row).toMatchObject({ priority: "high", tags: ["refund"] });
    expect([x.agent.id, x.agent2.id]).toContain(row.assignee_id);

    const notes = await q<{ body: string; internal: boolean; author_id: string }>(
      sql`select body, internal, author_id from comments where ticket_id = ${t.id} and internal`,
    );
    expect(notes).toEqual([
      { body: `Routed to Billing for customer (#${t.number})`, internal: true, author_id: x.admin.id },
    ]);
    const notes2 = await q<{ user_id: string; payload: { title: string; body: string } }>(
      sql`select user_id, payload from notifications where ticket_id = ${t.id} and kind = 'automation.message' order by user_id`,
    );
    const toRequester = notes2.find((n) => n.user_id === x.customer.id)!;
    expect(toRequester.payload.title).toBe(`We got your refund request #${t.number}`);
    expect(toRequester.payload.body).toMatch(/^Hello customer .+, agent .+ will help\.$/);
    expect(notes2.some((n) => n.user_id === row.assignee_id && n.payload.title === `Refund #${t.number}`)).toBe(true);
    expect((await jobsIn(QUEUES.email.name, { orgId: x.org.id })).length).toBeGreaterThanOrEqual(2);
    const deliveries = await q<{ id: string; event: string }>(
      sql`select id, event from webhook_deliveries where webhook_id = ${hook!.id}`,
    );
    expect(deliveries).toEqual([{ id: expect.any(String), event: "automation.rule" }]);
    expect(await jobsIn(QUEUES.webhook.name, { deliveryId: deliveries[0]!.id })).toHaveLength(1);
    expect(await jobsIn(QUEUES.notify.name, { ticketId: t.id, kind: "ticket.assigned" })).toHaveLength(1);

    const history = await api.events(x.agent, t.id);
    const auto = (history.body.data as { action: string; data: Record<string, unknown> }[]).filter(
      (e) => e.action === "ticket.automation",
    );
    expect(auto).toHaveLength(1);
    expect(auto[0]!.data).toMatchObject({
      kind: "trigger",
      ruleId: rule.id,
      ruleName: "Refunds to Billing",
      changes: { priority: { from: "normal", to: "high" }, tags: { from: [], to: ["refund"] } },
    });
    expect((await as(x.admin, (s) => getRule(s, "trigger", rule.id))).firedCount).toBe(1);
  });

  it("rules that undo each other fire once each per change, and a failing rule is skipped, recorded and never fails the write", async () => {
    const x = await freshWorld();
    const [hook] = await q<{ id: string }>(
      sql`insert into webhooks (org_id, url, secret, events) values (${x.org.id}, 'https://hooks.example.com/x', 'whsec-test', '{}') returning id`,
    );
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "to pending",
        conditions: { all: [{ field: "status", op: "is", value: "open" }] },
        actions: [{ type: "set_status", value: "pending" }],
      }),
    );
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "to open",
        conditions: { all: [{ field: "status", op: "is", value: "pending" }] },
        actions: [{ type: "set_status", value: "open" }],
      }),
    );
    const broken = await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "broken",
        conditions: { all: [] },
        actions: [
          { type: "add_tags", value: ["half-done"] },
          { type: "webhook", webhookId: hook!.id },
        ],
      }),
    );
    await q(sql`delete from webhooks where id = ${hook!.id}`);
    const t = await plainTicket(x, { status: "open" });
    const r = await fire(x.agent, {
      ticketId: t.id,
      event: "updated",
      before: { status: "new", priority: "normal", assigneeId: null, tags: [] },
    });
    expect(r!.fired.map((f) => f.name)).toEqual(["to pending", "to open"]);
    expect(r!.failed).toEqual([{ id: broken.id, error: expect.stringContaining("missing or inactive") }]);
    // The failed rule's first action was rolled back with it (savepoint), the write went on.
    expect(await ticketRow(t.id)).toMatchObject({ status: "open", tags: [] });
    const after = await as(x.admin, (s) => getRule(s, "trigger", broken.id));
    expect(after.lastError).toMatch(/missing or inactive/);
    expect(after.firedCount).toBe(0);
  });
});

describe("rule validation and tenancy", () => {
  it("a bad rule is a 400 naming its path, and nothing is saved", async () => {
    const x = await freshWorld();
    const bad = (input: unknown, kind: "trigger" | "automation" = "trigger") =>
      as(x.admin, (s) => createRule(s, kind, input));
    await expect(
      bad({
        name: "t",
        conditions: { all: [{ field: "priority", op: "is", value: "sky-high" }] },
        actions: [{ type: "add_tags", value: ["a"] }],
      }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      details: { issues: [expect.objectContaining({ path: expect.stringMatching(/^conditions\.all\.0/) })] },
    });
    await expect(
      bad({ name: "t", conditions: { all: [] }, actions: [{ type: "add_note", body: "Hi {{requester.shoe_size}}" }] }),
    ).rejects.toMatchObject({
      details: {
        issues: [{ in: "body", path: "actions.0.body", message: "unknown placeholder {{requester.shoe_size}}" }],
      },
    });
    await expect(
      bad({
        name: "t",
        conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 4 }] },
        actions: [{ type: "add_tags", value: ["a"] }],
      }),
    ).rejects.toMatchObject({
      details: { issues: [expect.objectContaining({ path: "conditions.all.0" })] },
    });
    await expect(
      bad(
        {
          name: "t",
          conditions: { all: [{ field: "status", op: "is", value: "open" }] },
          actions: [{ type: "add_tags", value: ["a"] }],
        },
        "automation",
      ),
    ).rejects.toMatchObject({
      details: { issues: [expect.objectContaining({ path: "conditions.all" })] },
    });
    await expect(
      as(x.agent, (s) =>
        createRule(s, "trigger", { name: "t", conditions: {}, actions: [{ type: "add_tags", value: ["a"] }] }),
      ),
    ).rejects.toMatchObject({ code: "forbidden" });
    expect(await q(sql`select 1 from triggers where org_id = ${x.org.id}`)).toHaveLength(0);
    // Ids that are not UUIDs name nothing: 404, never a database error.
    await expect(as(x.admin, (s) => getRule(s, "trigger", "not-a-uuid"))).rejects.toMatchObject({ code: "not_found" });
  });

  it("org B's rules never see org A's tickets, and org A's group, agent or webhook cannot be used by org B's rule", async () => {
    const a = await freshWorld();
    const b = await freshWorld();
    const groupA = await as(a.admin, (s) => createGroup(s, { name: "Team A", memberIds: [a.agent.id] }));
    await as(b.admin, (s) =>
      createRule(s, "trigger", {
        name: "B tags everything",
        conditions: {},
        actions: [{ type: "add_tags", value: ["seen-by-b"] }],
      }),
    );
    const t = await plainTicket(a);
    expect(await fire(a.customer, { ticketId: t.id, event: "created" })).toBeNull();
    expect((await ticketRow(t.id)).tags).toEqual([]);
    // Org B running its rules on org A's ticket id finds no such ticket.
    await expect(fire(b.customer, { ticketId: t.id, event: "created" })).rejects.toMatchObject({ code: "not_found" });
    expect((await ticketRow(t.id)).tags).toEqual([]);
    await expect(
      as(b.admin, (s) =>
        createRule(s, "trigger", {
          name: "steal",
          conditions: {},
          actions: [
            { type: "assign_group", groupId: groupA.id, strategy: "round_robin" },
            { type: "set_assignee", value: a.agent.id },
          ],
        }),
      ),
    ).rejects.toMatchObject({
      code: "validation_failed",
      details: {
        issues: expect.arrayContaining([
          expect.objectContaining({ path: "actions.1.value" }),
          expect.objectContaining({ path: "actions.0.groupId" }),
        ]),
      },
    });
  });
});

describe("macros", () => {
  it("placeholders are checked on save, previews change nothing, applying goes through the rule actions and is audited", async () => {
    const x = await freshWorld();
    await expect(
      as(x.admin, (s) => createMacro(s, { name: "bad", reply: "Hi {{requester.nickname}}" })),
    ).rejects.toMatchObject({
      code: "validation_failed",
      details: { issues: [{ in: "body", path: "reply", message: "unknown placeholder {{requester.nickname}}" }] },
    });
    await expect(as(x.agent, (s) => createMacro(s, { name: "shared by agent", reply: "x" }))).rejects.toMatchObject({
      code: "forbidden",
    });
    await expect(
      as(x.admin, (s) => createMacro(s, { name: "mail", actions: [{ type: "webhook", webhookId: randomUUID() }] })),
    ).rejects.toMatchObject({
      details: { issues: expect.arrayContaining([expect.objectContaining({ path: "actions.0.type" })]) },
    });
    const m = await as(x.admin, (s) =>
      createMacro(s, {
        name: "Refund done",
        reply: "Hi {{requester.first_name}}, ticket #{{ticket.number}} is refunded. — {{agent.name}}",
        actions: [
          { type: "set_status", value: "solved" },
          { type: "add_tags", value: ["refunded"] },
        ],
      }),
    );
    const mine = await as(x.agent, (s) => createMacro(s, { name: "mine", shared: false, reply: "private" }));
    const t = await plainTicket(x);
    const preview = await as(x.agent, (s) => previewMacro(s, m.id, t.id));
    expect(preview.reply).toBe(`Hi customer, ticket #${t.number} is refunded. — agent ${x.agent.email}`);
    expect(preview.changes).toEqual({ status: { from: "new", to: "solved" }, tags: { from: [], to: ["refunded"] } });
    expect(await ticketRow(t.id)).toMatchObject({ status: "new", tags: [] });

    const applied = await as(x.agent, (s) => applyMacro(s, m.id, t.id));
    expect(applied.reply).toBe(preview.reply);
    expect(await ticketRow(t.id)).toMatchObject({ status: "solved", tags: ["refunded"] });
    const events = (await api.events(x.agent, t.id)).body.data as { action: string; data: Record<string, unknown> }[];
    expect(events.find((e) => e.action === "ticket.macro_applied")?.data).toMatchObject({
      macroId: m.id,
      changes: { status: { from: "new", to: "solved" } },
    });

    // A personal macro is its owner's: another agent neither lists nor uses it; customers have none.
    expect((await as(x.agent2, (s) => listMacros(s))).data.map((d) => d.name)).toEqual(["Refund done"]);
    await expect(as(x.agent2, (s) => previewMacro(s, mine.id, t.id))).rejects.toMatchObject({ code: "not_found" });
    await expect(as(x.agent, (s) => previewMacro(s, m.id, "nope"))).rejects.toMatchObject({ code: "not_found" });
    await expect(as(x.customer, (s) => listMacros(s))).rejects.toMatchObject({ code: "forbidden" });
    // Another org's macro is not found.
    await expect(as(other.agent, (s) => previewMacro(s, m.id, t.id))).rejects.toMatchObject({ code: "not_found" });
  });

  it("the admin's dry run tells whether a draft rule matches ticket #n and what it would change, writing nothing", async () => {
    const x = await freshWorld();
    const t = await plainTicket(x, { subject: "Refund me" });
    const rule = {
      name: "draft",
      conditions: { all: [{ field: "subject", op: "contains", value: "refund" }] },
      actions: [
        { type: "set_priority", value: "urgent" },
        { type: "add_note", body: "for {{requester.email}}" },
      ],
    };
    const r = await as(x.admin, (s) => testRule(s, "trigger", { ticketNumber: t.number, rule }));
    expect(r).toMatchObject({
      matched: true,
      changes: { priority: { from: "normal", to: "urgent" } },
      effects: [{ type: "note", body: `for ${x.customer.email}` }],
    });
    expect(await ticketRow(t.id)).toMatchObject({ priority: "normal" });
    expect(await q(sql`select 1 from comments where ticket_id = ${t.id} and internal`)).toHaveLength(0);
    const miss = await as(x.admin, (s) =>
      testRule(s, "trigger", {
        ticketNumber: t.number,
        rule: { ...rule, conditions: { all: [{ field: "subject", op: "contains", value: "printer" }] } },
      }),
    );
    expect(miss).toMatchObject({ matched: false, changes: {} });
    await expect(
      as(other.admin, (s) => testRule(s, "trigger", { ticketNumber: t.number + 1000, rule })),
    ).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("cost", () => {
  it("given the row its write holds, a run reads rules, requester and org in one statement and never reads or locks the ticket again", async () => {
    const x = await freshWorld();
    const domain = x.customer.email.split("@")[1]!;
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "never",
        conditions: { all: [{ field: "subject", op: "contains", value: "zzz-never" }] },
        actions: [{ type: "add_tags", value: ["never"] }],
      }),
    );
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "by domain",
        conditions: {
          all: [
            { field: "requester_domain", op: "is", value: domain },
            { field: "priority", op: "changed_to", value: "high" },
          ],
        },
        actions: [{ type: "add_tags", value: ["vip"] }],
      }),
    );
    const t = await plainTicket(x);
    const seen: string[] = [];
    const query = pg.Client.prototype.query;
    const counting = function (this: pg.Client, ...a: unknown[]) {
      const text = a[0];
      seen.push(typeof text === "string" ? text : String((text as { text?: string }).text ?? ""));
      return (query as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof pg.Client.prototype.query;
    const during = async <T>(fn: () => Promise<T>) => {
      seen.length = 0;
      pg.Client.prototype.query = counting;
      try {
        return await fn();
      } finally {
        pg.Client.prototype.query = query;
      }
    };
    // Nothing matches: one statement, no second read of the ticket.
    const none = await as(x.customer, async (s) => {
      const [row] = await s.tx
        .select(ticketColumns)
        .from(tickets)
        .where(sql`${tickets.id} = ${t.id}`)
        .for("update");
      return during(() => runTriggers(s, { ticketId: t.id, event: "updated", before: row!, ticket: row! }));
    });
    expect(none?.fired).toEqual([]);
    expect(seen).toHaveLength(1);
    // A real write (priority → high): the requester's domain read with the rules is the one the rule sees.
    const view = await as(x.agent, (s) => during(() => updateTicket(s, t.id, { priority: "high" })));
    expect((view as { tags?: string[] }).tags).toEqual(["vip"]);
    expect(seen.filter((text) => /from "tickets".*for update/is.test(text))).toHaveLength(1); // the write's own load, not a second one
    expect((await ticketRow(t.id)).tags).toEqual(["vip"]);
  });

  it("an org without triggers: runTriggers is one read and returns null", async () => {
    const t = await newTicket(w.customer);
    expect(await fire(w.customer, { ticketId: t.id, event: "created" })).toBeNull();
  });
});
