import { beforeAll, describe, expect, it } from "vitest";
import type { Principal } from "../../src/server/auth/principal";
import { withTenant } from "../../src/server/db/tenant";
import { findUsers, lookupUsers, type UserQuery } from "../../src/server/users/lookup-users";
import { api } from "../helpers/api";
import { createUser } from "../helpers/factories";
import { createWorld, type Actor, type World } from "../helpers/world";

// The people directory behind the ticket screens (decision 017), and GET /users for agents.

let w: World, other: World;
let blocked: { id: string };
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  blocked = await createUser(w.org, { role: "customer", name: "Zed Blocked", blocked: true });
});

const principal = (a: Actor): Principal => ({
  userId: a.id,
  orgId: a.orgId,
  role: a.role,
  email: a.email,
  name: a.email,
  mustChangePassword: false,
  sessionVersion: a.sessionVersion,
  via: "session",
});
const lookup = (a: Actor, ids: string[]) => withTenant(a.orgId, (tx) => lookupUsers({ tx, user: principal(a) }, ids));
const find = (a: Actor, q?: UserQuery) => withTenant(a.orgId, (tx) => findUsers({ tx, user: principal(a) }, q));

describe("lookupUsers", () => {
  it("staff resolve any user of their org, customers and blocked ones too, to id, name, email and role only", async () => {
    for (const staff of [w.agent, w.admin]) {
      const m = await lookup(staff, [w.customer.id, w.customer2.id, w.agent2.id, blocked.id, w.customer.id]);
      expect([...m.keys()].sort()).toEqual([w.customer.id, w.customer2.id, w.agent2.id, blocked.id].sort());
      expect(m.get(w.customer.id)).toEqual({
        id: w.customer.id,
        name: expect.any(String),
        email: w.customer.email,
        role: "customer",
      });
      for (const p of m.values()) expect(Object.keys(p).sort()).toEqual(["email", "id", "name", "role"]);
    }
  });

  it("another org's users are absent (cross-org), as are unknown and malformed ids", async () => {
    const m = await lookup(w.agent, [
      other.customer.id,
      other.agent.id,
      "00000000-0000-4000-8000-000000000000",
      "not-a-uuid",
      w.customer.id,
    ]);
    expect([...m.keys()]).toEqual([w.customer.id]);
  });

  it("a customer sees only themself: never another customer, nor staff", async () => {
    const m = await lookup(w.customer, [w.customer.id, w.customer2.id, w.agent.id, w.admin.id, other.customer.id]);
    expect([...m.keys()]).toEqual([w.customer.id]);
    expect((await lookup(w.customer, [w.customer2.id])).size).toBe(0);
  });
});

describe("findUsers", () => {
  it("gives staff the org's active customers by name; blocked ones only when asked; nothing of another org", async () => {
    const names = (ps: { name: string }[]) => ps.map((p) => p.name);
    const customers = await find(w.agent, { role: "customer" });
    expect(customers.map((c) => c.id).sort()).toEqual([w.customer.id, w.customer2.id].sort());
    expect(names(customers)).toEqual([...names(customers)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    expect((await find(w.admin, { role: "customer", includeBlocked: true })).map((c) => c.id)).toContain(blocked.id);
    expect((await find(w.agent, { q: w.customer2.email.toUpperCase() })).map((c) => c.id)).toEqual([w.customer2.id]);
    expect(await find(w.agent, { q: other.customer.email })).toEqual([]);
    expect((await find(w.agent, { role: "customer", limit: 1 })).length).toBe(1);
  });

  it("refuses customers (403)", async () => {
    await expect(find(w.customer, { role: "customer" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(find(w.customer)).rejects.toMatchObject({ code: "forbidden" });
  });
});

describe("GET /api/v1/users for agents (SPEC §6: agents may list agents)", () => {
  it("agents list agents and admins; role=customer is 403, not an empty page; admins list customers", async () => {
    const byAgent = await api.listUsers(w.agent, { role: "customer" });
    expect(byAgent.status).toBe(403);
    expect(byAgent.body.error).toMatchObject({ code: "forbidden", details: { reason: "customers_not_listable" } });
    const agents = await api.listUsers(w.agent, { role: "agent" });
    expect(agents.status).toBe(200);
    expect(agents.body.data.map((u: { id: string }) => u.id).sort()).toEqual([w.agent.id, w.agent2.id].sort());
    const byQuery = await api.listUsers(w.agent, { q: w.customer.email });
    expect(byQuery.body.data).toEqual([]);
    const byAdmin = await api.listUsers(w.admin, { role: "customer" });
    expect(byAdmin.status).toBe(200);
    expect(byAdmin.body.data.map((u: { id: string }) => u.id).sort()).toEqual(
      [w.customer.id, w.customer2.id, blocked.id].sort(),
    );
    expect((await api.listUsers(w.customer, { role: "customer" })).status).toBe(403);
    // Another org's admin sees none of these customers.
    const foreign = await api.listUsers(other.admin, { role: "customer", q: w.customer.email });
    expect(foreign.body.data).toEqual([]);
  });
});
