import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import { describe, expect, it } from "vitest";
import type { Scope } from "../../src/server/core/scope";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { pickAssignee } from "../../src/server/automation/assignment";
import { createGroup, setAway } from "../../src/server/automation/manage-groups";
import { createRule, getRule } from "../../src/server/automation/manage-rules";
import { unsafeScanAutomations } from "../../src/server/automation/time-rules";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { env } from "../../src/server/env";
import { ticketEvents } from "../../src/server/tickets/ticket-events";
import { createUser } from "../helpers/factories";
import { createWorld, type Actor, type World } from "../helpers/world";

// Assignment under concurrency and time rules on real PostgreSQL.

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
const q = <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  unsafeWithSystem((tx) => tx.execute<T>(query)).then((r) => r.rows);

async function plainTicket(x: World, opts: { status?: string; assigneeId?: string | null } = {}) {
  return unsafeWithSystem(async (tx) => {
    const [n] = (
      await tx.execute<{ n: number }>(
        sql`update orgs set ticket_seq = ticket_seq + 1 where id = ${x.org.id} returning ticket_seq as n`,
      )
    ).rows;
    const [t] = (
      await tx.execute<{ id: string; number: number }>(sql`
      insert into tickets (org_id, number, subject, requester_id, status, assignee_id) values (${x.org.id}, ${n!.n}, 'Stuck', ${x.customer.id}, ${opts.status ?? "new"}, ${opts.assigneeId ?? null})
      returning id, number`)
    ).rows;
    return t!;
  });
}
const ticketRow = async (id: string) =>
  (await q<{ status: string; tags: string[] }>(sql`select status::text, tags from tickets where id = ${id}`))[0]!;
const backdate = (ticketId: string, anchor: string, hours: number) =>
  q(
    sql`update ticket_anchors set at = now() - ${hours}::float8 * interval '1 hour' where ticket_id = ${ticketId} and anchor = ${anchor}`,
  );

describe("assignment", () => {
  it("round-robin under concurrency: turns are shared evenly, never to an away agent, never to a blocked one", async () => {
    const x = await createWorld();
    const third = await createUser(x.org, { role: "agent" });
    const blocked = await createUser(x.org, { role: "agent", blocked: true });
    const g = await as(x.admin, (s) =>
      createGroup(s, { name: "Support", memberIds: [x.agent.id, x.agent2.id, third.id] }),
    );
    await q(sql`insert into group_members (org_id, group_id, user_id) values (${x.org.id}, ${g.id}, ${blocked.id})`);
    await as(x.admin, (s) => setAway(s, g.id, third.id, true));
    const picks = await Promise.all(
      Array.from({ length: 12 }, () => withTenant(x.org.id, (tx) => pickAssignee(tx, g.id, "round_robin"))),
    );
    const count = new Map<string | null, number>();
    for (const p of picks) count.set(p, (count.get(p) ?? 0) + 1);
    expect(count.get(x.agent.id)).toBe(6);
    expect(count.get(x.agent2.id)).toBe(6);
    expect(count.has(third.id)).toBe(false);
    expect(count.has(blocked.id)).toBe(false);
  });

  it("least-open under concurrency: each assignment sees the ones committed before it", async () => {
    const x = await createWorld();
    const g = await as(x.admin, (s) => createGroup(s, { name: "Billing", memberIds: [x.agent.id, x.agent2.id] }));
    for (let i = 0; i < 3; i++) await plainTicket(x, { status: "open", assigneeId: x.agent.id });
    await plainTicket(x, { status: "solved", assigneeId: x.agent2.id }); // solved: not load
    const fresh = await Promise.all(Array.from({ length: 5 }, () => plainTicket(x)));
    await Promise.all(
      fresh.map((t) =>
        withTenant(x.org.id, async (tx) => {
          const who = await pickAssignee(tx, g.id, "least_open");
          await tx.execute(sql`update tickets set assignee_id = ${who}, status = 'open' where id = ${t.id}`);
        }),
      ),
    );
    const load = await q<{ assignee_id: string; n: number }>(
      sql`select assignee_id, count(*)::int as n from tickets where org_id = ${x.org.id} and status = 'open' group by assignee_id`,
    );
    // 3 + 5 open tickets between two agents: 4 and 4.
    expect(Object.fromEntries(load.map((l) => [l.assignee_id, l.n]))).toEqual({ [x.agent.id]: 4, [x.agent2.id]: 4 });
  });

  it("a group with nobody available assigns nobody; another org's group is not found", async () => {
    const x = await createWorld();
    const g = await as(x.admin, (s) => createGroup(s, { name: "Empty" }));
    expect(await withTenant(x.org.id, (tx) => pickAssignee(tx, g.id, "round_robin"))).toBeNull();
    const y = await createWorld();
    await expect(withTenant(y.org.id, (tx) => pickAssignee(tx, g.id, "round_robin"))).rejects.toMatchObject({
      code: "not_found",
    });
  });
});

describe("time rules", () => {
  it("fire once per ticket per condition window, and again only when the anchor moves", async () => {
    const x = await createWorld();
    const rule = await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Nudge pending",
        conditions: {
          all: [
            { field: "hours_since", anchor: "status_changed", op: "gte", value: 24 },
            { field: "status", op: "is", value: "pending" },
          ],
        },
        actions: [{ type: "add_note", body: "Still waiting on {{requester.first_name}}" }],
      }),
    );
    const due = await plainTicket(x, { status: "pending" });
    const notYet = await plainTicket(x, { status: "pending" });
    const wrongStatus = await plainTicket(x, { status: "on_hold" });
    await backdate(due.id, "status_changed", 25);
    await backdate(notYet.id, "status_changed", 23);
    await backdate(wrongStatus.id, "status_changed", 30);
    const notes = async (id: string) =>
      (await q(sql`select 1 from comments where ticket_id = ${id} and internal`)).length;

    expect((await unsafeScanAutomations()).fired).toBe(1);
    expect([await notes(due.id), await notes(notYet.id), await notes(wrongStatus.id)]).toEqual([1, 0, 0]);
    const history = await q<{ action: string; data: { ruleId: string; kind: string } }>(
      sql`select action, data from audit_events where entity_id = ${due.id} and action = 'ticket.automation'`,
    );
    expect(history).toEqual([
      { action: "ticket.automation", data: expect.objectContaining({ ruleId: rule.id, kind: "automation" }) },
    ]);

    // Next pass: nothing new. A pass that starts over (scanned_until cleared, as after an edit)
    // meets the ticket again but its window already fired.
    expect((await unsafeScanAutomations()).fired).toBe(0);
    await q(sql`update automations set scanned_until = null where id = ${rule.id}`);
    expect((await unsafeScanAutomations()).fired).toBe(0);
    expect(await notes(due.id)).toBe(1);

    // The 23-hour ticket's time comes; the first ticket's status changes (a new anchor, a new window).
    await backdate(notYet.id, "status_changed", 24.5);
    await q(sql`update tickets set status = 'open' where id = ${due.id}`);
    await q(sql`update tickets set status = 'pending' where id = ${due.id}`);
    await backdate(due.id, "status_changed", 26);
    await q(sql`update automations set scanned_until = now() - interval '10 hours' where id = ${rule.id}`);
    expect((await unsafeScanAutomations()).fired).toBe(2);
    expect([await notes(due.id), await notes(notYet.id), await notes(wrongStatus.id)]).toEqual([2, 1, 0]);
    expect((await as(x.admin, (s) => getRule(s, "automation", rule.id))).firedCount).toBe(3);
  });

  it("an `updated` rule reads tickets.updated_at; its change opens the next window; closed tickets are left alone", async () => {
    const x = await createWorld();
    await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Solve quiet pending",
        conditions: {
          all: [
            { field: "hours_since", anchor: "updated", op: "gte", value: 72 },
            { field: "status", op: "is", value: "pending" },
          ],
        },
        actions: [
          { type: "set_status", value: "solved" },
          { type: "email_requester", subject: "Closing #{{ticket.number}}", body: "We have not heard back." },
        ],
      }),
    );
    const quiet = await plainTicket(x, { status: "pending" });
    const closed = await plainTicket(x, { status: "closed" });
    await q(sql`update tickets set updated_at = now() - interval '73 hours' where id in (${quiet.id}, ${closed.id})`);
    expect((await unsafeScanAutomations()).fired).toBe(1);
    expect((await ticketRow(quiet.id)).status).toBe("solved");
    expect((await ticketRow(closed.id)).status).toBe("closed");
    expect(
      await q(
        sql`select payload->>'title' as title from notifications where ticket_id = ${quiet.id} and user_id = ${x.customer.id}`,
      ),
    ).toEqual([{ title: `Closing #${quiet.number}` }]);
  });

  it("two scans at once fire a due ticket once", async () => {
    const x = await createWorld();
    await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Tag old",
        conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 48 }] },
        actions: [{ type: "add_note", body: "Old ticket #{{ticket.number}}" }],
      }),
    );
    const t = await plainTicket(x);
    await backdate(t.id, "created", 49);
    const [a, b] = await Promise.all([unsafeScanAutomations(), unsafeScanAutomations()]);
    expect(a.fired + b.fired).toBe(1);
    expect(await q(sql`select body from comments where ticket_id = ${t.id} and internal`)).toEqual([
      { body: `Old ticket #${t.number}` },
    ]);
  });

  it("anchors follow every writer: status changes, customer replies and SLA due dates", async () => {
    const x = await createWorld();
    const t = await plainTicket(x);
    const anchors = async () =>
      Object.fromEntries(
        (await q<{ anchor: string }>(sql`select anchor from ticket_anchors where ticket_id = ${t.id}`)).map((r) => [
          r.anchor,
          true,
        ]),
      );
    expect(await anchors()).toEqual({ created: true, status_changed: true });
    await q(sql`update tickets set resolve_due = now() + interval '1 hour' where id = ${t.id}`);
    await q(
      sql`insert into comments (org_id, ticket_id, author_id, body, body_html) values (${x.org.id}, ${t.id}, ${x.customer.id}, 'hello', 'hello')`,
    );
    expect(await anchors()).toEqual({ created: true, status_changed: true, sla_due: true, customer_replied: true });
    await q(sql`update tickets set status = 'solved', resolved_at = now() where id = ${t.id}`);
    expect(await anchors()).toEqual({ created: true, status_changed: true, customer_replied: true });
  });

  it("anchor times: created and status at the insert, the status change's time, the SLA due as ticket_sla_due says, the customer's reply", async () => {
    const x = await createWorld();
    const t = await plainTicket(x);
    const at = async () =>
      Object.fromEntries(
        (
          await q<{ anchor: string; at: string }>(
            sql`select anchor, at::text as at from ticket_anchors where ticket_id = ${t.id}`,
          )
        ).map((r) => [r.anchor, r.at]),
      );
    // Each step's statement time, and the SLA due the ticket has after it.
    const step = async (set: ReturnType<typeof sql>) =>
      (
        await q<{ now: string; due: string | null }>(
          sql`update tickets t set ${set} where id = ${t.id} returning now()::text as now, ticket_sla_due(t)::text as due`,
        )
      )[0]!;
    const { created } = (
      await q<{ created: string }>(sql`select created_at::text as created from tickets where id = ${t.id}`)
    )[0]!;
    expect(await at()).toEqual({ created, status_changed: created });

    // An SLA due appears; the status is untouched, so its anchor stays.
    const s1 = await step(sql`resolve_due = '2030-01-01T10:00:00Z'`);
    expect(s1.due).not.toBeNull();
    expect(await at()).toEqual({ created, status_changed: created, sla_due: s1.due });
    // A status change alone moves its anchor to the change's time; the due is as before.
    const s2 = await step(sql`status = 'open'`);
    expect(await at()).toEqual({ created, status_changed: s2.now, sla_due: s1.due });
    // Both in one update: the status anchor moves and the earlier first-response due takes over.
    const s3 = await step(sql`status = 'pending', first_response_due = '2029-06-01T08:00:00Z'`);
    expect(s3.due).not.toBe(s1.due);
    expect(await at()).toEqual({ created, status_changed: s3.now, sla_due: s3.due });
    // Answered and solved: no SLA due any more, its anchor goes.
    const s4 = await step(sql`status = 'solved', resolved_at = now(), first_response_at = now()`);
    expect(s4.due).toBeNull();
    expect(await at()).toEqual({ created, status_changed: s4.now });
    // Reopened: the due comes back.
    const s5 = await step(sql`status = 'open', resolved_at = null`);
    expect(await at()).toEqual({ created, status_changed: s5.now, sla_due: s5.due });
    // A due change without a status change leaves the status anchor.
    const s6 = await step(sql`resolve_due = '2031-01-01T10:00:00Z'`);
    expect(s6.due).not.toBe(s5.due);
    expect(await at()).toEqual({ created, status_changed: s5.now, sla_due: s6.due });
    // A customer's public comment sets customer_replied; an agent's does not move it.
    const [c] = await q<{ at: string }>(
      sql`insert into comments (org_id, ticket_id, author_id, body, body_html) values (${x.org.id}, ${t.id}, ${x.customer.id}, 'hello', 'hello') returning created_at::text as at`,
    );
    await q(
      sql`insert into comments (org_id, ticket_id, author_id, body, body_html) values (${x.org.id}, ${t.id}, ${x.agent.id}, 'hi', 'hi')`,
    );
    expect(await at()).toEqual({ created, status_changed: s5.now, sla_due: s6.due, customer_replied: c!.at });
  });

  it("a pass with nothing due is a few statements, however many orgs hold rules", async () => {
    const worlds = await Promise.all([1, 2, 3, 4, 5, 6].map(() => createWorld()));
    for (const w of worlds) {
      await as(w.admin, (s) =>
        createRule(s, "automation", {
          name: "Old",
          conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 48 }] },
          actions: [{ type: "add_tags", value: ["old"] }],
        }),
      );
    }
    await unsafeScanAutomations(); // the new rules' first pass: their catch-up
    const count = { n: 0 };
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
      count.n++;
      return (query as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof pg.Client.prototype.query;
    let r;
    try {
      r = await unsafeScanAutomations();
    } finally {
      pg.Client.prototype.query = query;
    }
    expect(r.rules).toBeGreaterThanOrEqual(6);
    expect(r.tickets).toBe(0);
    // Two system transactions: begin + role + rules + due pairs + commit, then begin + role + scanned_until + commit.
    expect(count.n).toBeLessThanOrEqual(9);
  });

  it("pages past a full batch of due tickets: each one fires once", async () => {
    const x = await createWorld();
    await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Many",
        conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 2 }] },
        actions: [{ type: "add_tags", value: ["many"] }],
      }),
    );
    await unsafeWithSystem(async (tx) => {
      await tx.execute(sql`
        insert into tickets (org_id, number, subject, requester_id)
        select ${x.org.id}, 1000 + g, 'Bulk', ${x.customer.id} from generate_series(1, 230) g`);
      // Several tickets share one instant, so the keyset's (at, id) order is what pages them.
      await tx.execute(sql`update ticket_anchors set at = now() - interval '3 hours' - (ticket_id::text < '8')::int * interval '1 minute'
        where org_id = ${x.org.id} and anchor = 'created'`);
    });
    const r = await unsafeScanAutomations();
    expect(r.fired).toBe(230);
    const [tagged] = await q<{ n: number }>(
      sql`select count(*)::int as n from tickets where org_id = ${x.org.id} and 'many' = any(tags)`,
    );
    expect(tagged!.n).toBe(230);
    expect((await unsafeScanAutomations()).fired).toBe(0);
  });

  it("org B's time rules never touch org A's tickets", async () => {
    const a = await createWorld();
    const b = await createWorld();
    await as(b.admin, (s) =>
      createRule(s, "automation", {
        name: "B: everything old",
        conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 1 }] },
        actions: [{ type: "add_tags", value: ["b-was-here"] }],
      }),
    );
    const ta = await plainTicket(a);
    const tb = await plainTicket(b);
    await backdate(ta.id, "created", 5);
    await backdate(tb.id, "created", 5);
    await unsafeScanAutomations();
    expect((await ticketRow(ta.id)).tags).toEqual([]);
    expect((await ticketRow(tb.id)).tags).toEqual(["b-was-here"]);
  });
});

describe("time rules in batches (decision 058)", () => {
  /** Counts the statements a pass sends (every pg client query: begin, settings, statements, commit). */
  async function counted<T>(fn: () => Promise<T>): Promise<{ r: T; n: number }> {
    const count = { n: 0 };
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
      count.n++;
      return (query as (...x: unknown[]) => unknown).apply(this, a);
    } as typeof pg.Client.prototype.query;
    try {
      return { r: await fn(), n: count.n };
    } finally {
      pg.Client.prototype.query = query;
    }
  }

  it("several tickets of one org in one pass: each fires once, with its own audit event and history, in a fixed number of statements", async () => {
    const x = await createWorld();
    // Rule 1 tags; rule 2 (after it) needs rule 1's tag, so it must see what rule 1 did to the same ticket in this pass;
    // rule 3 solves and notes (per-ticket side effects, the SLA and solve path of persistState).
    const tagOld = await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Tag old",
        conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 2 }] },
        actions: [{ type: "add_tags", value: ["old"] }],
      }),
    );
    const escalate = await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Escalate old",
        conditions: {
          all: [
            { field: "hours_since", anchor: "created", op: "gte", value: 2 },
            { field: "tags", op: "includes", value: "old" },
          ],
        },
        actions: [{ type: "add_tags", value: ["escalated"] }],
      }),
    );
    const solve = await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Solve quiet pending",
        conditions: {
          all: [
            { field: "hours_since", anchor: "status_changed", op: "gte", value: 5 },
            { field: "status", op: "is", value: "pending" },
          ],
        },
        actions: [
          { type: "set_status", value: "solved" },
          { type: "add_note", body: "Solved #{{ticket.number}} after a quiet week" },
        ],
      }),
    );
    const tickets = [];
    for (let i = 0; i < 12; i++) tickets.push(await plainTicket(x));
    const pending = [await plainTicket(x, { status: "pending" }), await plainTicket(x, { status: "pending" })];
    for (const t of tickets) await backdate(t.id, "created", 3);
    for (const t of pending) await backdate(t.id, "status_changed", 6);
    await q(sql`update automations set scanned_until = now() - interval '2 hours' where org_id = ${x.org.id}`);

    expect(await unsafeScanAutomations()).toMatchObject({ tickets: 12 + 12 + 2, fired: 12 + 12 + 2, failed: 0 });

    for (const t of tickets) expect((await ticketRow(t.id)).tags).toEqual(["escalated", "old"]);
    for (const t of pending) expect((await ticketRow(t.id)).status).toBe("solved");
    const events = await q<{ entity_id: string; action: string; rule: string }>(sql`
      select entity_id, action, data->>'ruleId' as rule from audit_events
      where org_id = ${x.org.id} and action = 'ticket.automation' order by seq`);
    expect(events).toHaveLength(26);
    for (const t of tickets)
      expect(events.filter((e) => e.entity_id === t.id).map((e) => e.rule)).toEqual([tagOld.id, escalate.id]);
    for (const t of pending) expect(events.filter((e) => e.entity_id === t.id).map((e) => e.rule)).toEqual([solve.id]);
    // Each ticket's history shows its own firings; the note and the solve are there too.
    const history = await as(x.agent, (s) => ticketEvents(s, pending[0]!.id, { limit: 50 }));
    expect(history.data.filter((e) => e.action === "ticket.automation")).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({
          ruleId: solve.id,
          changes: { status: { from: "pending", to: "solved" } },
          effects: [{ type: "note" }],
        }),
      }),
    ]);
    expect(await q(sql`select body from comments where ticket_id = ${pending[0]!.id} and internal`)).toEqual([
      { body: `Solved #${pending[0]!.number} after a quiet week` },
    ]);
    // The batch append extends the chain exactly as one append per event would.
    expect(await unsafeWithSystem((tx) => verifyChain(tx, x.org.id))).toMatchObject({ valid: true });
    const counts = await q<{ id: string; fired_count: number }>(
      sql`select id, fired_count::int as fired_count from automations where org_id = ${x.org.id} and id in (${tagOld.id}, ${escalate.id}, ${solve.id})`,
    );
    expect(Object.fromEntries(counts.map((c) => [c.id, c.fired_count]))).toEqual({
      [tagOld.id]: 12,
      [escalate.id]: 12,
      [solve.id]: 2,
    });
    // Set-based: 12 more tickets due for the two tagging rules fire in one transaction of a fixed
    // number of statements, not 6-10 per firing. The 12 above fall in the window again (as in a pass
    // that starts over) but fired for it already: the due read leaves them out.
    const more = [];
    for (let i = 0; i < 12; i++) more.push(await plainTicket(x));
    for (const t of more) await backdate(t.id, "created", 3);
    await q(sql`update automations set scanned_until = now() - interval '2 hours' where org_id = ${x.org.id}`);
    const { r, n } = await counted(() => unsafeScanAutomations());
    expect(r).toMatchObject({ tickets: 24, fired: 24, failed: 0 });
    for (const t of more) expect((await ticketRow(t.id)).tags).toEqual(["escalated", "old"]);
    // 9 for the pass's two system transactions; then begin, tenant settings, and per wave (one
    // per rule a ticket is due for) read + mark + write + audit; commit.
    expect(n).toBeLessThanOrEqual(9 + 2 + 2 * 4 + 1);
    expect(await unsafeWithSystem((tx) => verifyChain(tx, x.org.id))).toMatchObject({ valid: true });
  });

  it("one ticket whose write fails does not hold back the others of the rule; the failure is shown on the rule", async () => {
    const x = await createWorld();
    const rule = await as(x.admin, (s) =>
      createRule(s, "automation", {
        name: "Tag old",
        conditions: { all: [{ field: "hours_since", anchor: "created", op: "gte", value: 2 }] },
        actions: [{ type: "add_tags", value: ["old"] }],
      }),
    );
    const tickets = [await plainTicket(x), await plainTicket(x), await plainTicket(x), await plainTicket(x)];
    const bad = tickets[2]!;
    for (const t of tickets) await backdate(t.id, "created", 3);
    await q(sql`update automations set scanned_until = now() - interval '2 hours' where id = ${rule.id}`);
    // The database refuses any write to one ticket (as a constraint or a trigger of a later version might).
    const owner = new pg.Client({ connectionString: env().DATABASE_URL });
    await owner.connect();
    const fn = `refuse_${bad.id.replaceAll("-", "")}`;
    try {
      await owner.query(`create function ${fn}() returns trigger language plpgsql as $$
        begin raise exception 'ticket % is read-only', old.number; end $$`);
      await owner.query(
        `create trigger ${fn} before update on tickets for each row when (old.id = '${bad.id}') execute function ${fn}()`,
      );
      const r = await unsafeScanAutomations();
      expect(r).toMatchObject({ tickets: 4, fired: 3, failed: 1 });
    } finally {
      await owner.query(`drop trigger if exists ${fn} on tickets`);
      await owner.query(`drop function if exists ${fn}()`);
      await owner.end();
    }
    for (const t of tickets) expect((await ticketRow(t.id)).tags).toEqual(t === bad ? [] : ["old"]);
    const audited = await q<{ entity_id: string }>(
      sql`select entity_id from audit_events where org_id = ${x.org.id} and action = 'ticket.automation'`,
    );
    expect(audited.map((a) => a.entity_id).sort()).toEqual(
      tickets
        .filter((t) => t !== bad)
        .map((t) => t.id)
        .sort(),
    );
    const shown = await as(x.admin, (s) => getRule(s, "automation", rule.id));
    expect(shown).toMatchObject({
      firedCount: 3,
      lastError: `ticket ${bad.number} is read-only`,
    });
    expect(await unsafeWithSystem((tx) => verifyChain(tx, x.org.id))).toMatchObject({ valid: true });
  });
});
