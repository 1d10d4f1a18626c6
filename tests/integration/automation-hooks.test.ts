import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Scope } from "../../src/server/core/scope";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { createGroup } from "../../src/server/automation/manage-groups";
import { createRule } from "../../src/server/automation/manage-rules";
import { api, newTicket } from "../helpers/api";
import { createWorld, type Actor } from "../helpers/world";

// The ticket writes run the triggers themselves: through the real API, as a customer and an agent would.

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

describe("ticket writes run the triggers", () => {
  it("a customer's refund ticket lands prioritised and assigned round-robin, and its history names the rule", async () => {
    const x = await createWorld();
    const billing = await as(x.admin, (s) => createGroup(s, { name: "Billing", memberIds: [x.agent.id, x.agent2.id] }));
    const rule = await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "Refunds to Billing",
        conditions: {
          all: [
            { field: "event", op: "is", value: "created" },
            { field: "subject", op: "contains", value: "refund" },
          ],
        },
        actions: [
          { type: "set_priority", value: "high" },
          { type: "assign_group", groupId: billing.id, strategy: "round_robin" },
        ],
      }),
    );
    const first = await newTicket(x.customer, { subject: "Refund please" });
    const second = await newTicket(x.customer, { subject: "Another refund" });
    const other = await newTicket(x.customer, { subject: "Printer on fire" });
    const seen = await api.getTicket(x.agent, first.id);
    expect(seen.body).toMatchObject({ priority: "high" });
    const assignees = await q<{ id: string; assignee_id: string | null; priority: string }>(
      sql`select id, assignee_id, priority::text from tickets where id in (${first.id}, ${second.id}, ${other.id})`,
    );
    const by = new Map(assignees.map((a) => [a.id, a]));
    expect(new Set([by.get(first.id)!.assignee_id, by.get(second.id)!.assignee_id])).toEqual(
      new Set([x.agent.id, x.agent2.id]),
    );
    expect(by.get(other.id)).toMatchObject({ assignee_id: null, priority: "normal" });
    const events = (await api.events(x.agent, first.id)).body.data as {
      action: string;
      data: Record<string, unknown>;
    }[];
    expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(["ticket.created", "ticket.automation"]));
    expect(events.find((e) => e.action === "ticket.automation")!.data).toMatchObject({
      ruleId: rule.id,
      ruleName: "Refunds to Billing",
      changes: { priority: { from: "normal", to: "high" } },
    });
  });

  it("updates and comments fire their events; the PATCH answer shows what the rules changed", async () => {
    const x = await createWorld();
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "solved → thank",
        conditions: { all: [{ field: "status", op: "changed_to", value: "solved" }] },
        actions: [{ type: "add_tags", value: ["thanked"] }],
      }),
    );
    await as(x.admin, (s) =>
      createRule(s, "trigger", {
        name: "customer wrote",
        conditions: {
          all: [
            { field: "event", op: "is", value: "customer_comment" },
            { field: "body", op: "contains", value: "urgent" },
          ],
        },
        actions: [{ type: "set_priority", value: "urgent" }],
      }),
    );
    const t = await newTicket(x.customer);
    const patched = await api.patchTicket(x.agent, t.id, { status: "solved" });
    expect(patched.status).toBe(200);
    expect(patched.body.tags).toEqual(["thanked"]);
    const c = await api.addComment(x.customer, t.id, { body: "This is URGENT now" });
    expect(c.status).toBe(201);
    const after = await api.getTicket(x.agent, t.id);
    expect(after.body).toMatchObject({ status: "open", priority: "urgent" });
    // A staff comment is not a customer comment.
    const t2 = await newTicket(x.customer);
    await api.addComment(x.agent, t2.id, { body: "urgent for us" });
    expect((await api.getTicket(x.agent, t2.id)).body.priority).toBe("normal");
  });
});
