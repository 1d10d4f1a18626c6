import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as listRoute, POST as createRoute } from "../helpers/http";
import { GET as getRoute, PATCH as patchRoute } from "../helpers/http";
import { POST as revokeRoute } from "../helpers/http";
import { GET as meRoute } from "../helpers/http";
import { POST as grantRoute } from "../helpers/http";
import { PUT as securityRoute } from "../helpers/http";
import { POST as createTokenRoute } from "../helpers/http";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { setProcessEnv } from "../../src/server/env";
import { createOrg, createUser, sessionCookie, type TestUser } from "../helpers/factories";
import { createWorld, type Actor, type World } from "../helpers/world";
import { call } from "../helpers/http";

// Users API (admin): create, read, change role/name, block/unblock, revoke sessions; the org's
// last active admin is protected, also against concurrent demotions. Invitations and resets: users-links.

const NEW_PASSWORD = "plenty long passphrase 42";
let w: World;
let other: World;

beforeAll(async () => {
  // Invitations without SMTP_URL are written as .eml files: keep them out of the working tree.
  setProcessEnv({ BEACON_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "beacon-users-")), SMTP_URL: "" });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const who = (a: { cookie: string }) => ({ cookie: a.cookie });
const create = (a: { cookie: string }, body: unknown) =>
  call(createRoute, "POST", "/api/v1/users", { ...who(a), body });
const get = (a: { cookie: string }, id: string) =>
  call(getRoute, "GET", `/api/v1/users/${id}`, { ...who(a), params: { id } });
const patch = (a: { cookie: string }, id: string, body: unknown) =>
  call(patchRoute, "PATCH", `/api/v1/users/${id}`, { ...who(a), params: { id }, body });
const revoke = (a: { cookie: string }, id: string) =>
  call(revokeRoute, "POST", `/api/v1/users/${id}/revoke-sessions`, { ...who(a), params: { id } });
const me = (o: { cookie?: string; token?: string }) => call(meRoute, "GET", "/api/v1/me", o);
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const auditOf = (orgId: string, entityId: string) =>
  q<{ action: string; actor_id: string; data: Record<string, unknown> }>(
    sql`select action, actor_id, data from audit_events where org_id = ${orgId} and entity_id = ${entityId} order by seq`,
  );

async function withCookie(u: TestUser): Promise<Actor> {
  return { ...u, cookie: await sessionCookie(u) };
}

describe("POST /api/v1/users with a password", () => {
  it("creates an active user who can sign in at once, audited without the password", async () => {
    const r = await create(w.admin, {
      email: "  New.Agent@Example.TEST ",
      name: "New Agent",
      role: "agent",
      password: NEW_PASSWORD,
    });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toEqual({
      id: expect.any(String),
      email: "new.agent@example.test",
      name: "New Agent",
      role: "agent",
      orgId: w.org.id,
      blocked: false,
      createdAt: expect.any(String),
      invited: false,
      inviteUrl: null,
      inviteExpiresAt: null,
    });
    const grant = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: "new.agent@example.test", password: NEW_PASSWORD },
      ip: "10.9.0.1",
    });
    expect(grant.status).toBe(201);
    expect((await me({ token: grant.body.token })).body).toMatchObject({
      id: r.body.id,
      role: "agent",
      orgId: w.org.id,
    });
    const audit = await auditOf(w.org.id, r.body.id);
    expect(audit).toEqual([
      {
        action: "user.created",
        actor_id: w.admin.id,
        data: { email: "new.agent@example.test", name: "New Agent", role: "agent", invited: false },
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(NEW_PASSWORD);
    const [row] = await q<{ password_hash: string }>(sql`select password_hash from users where id = ${r.body.id}`);
    expect(row!.password_hash).toMatch(/^\$argon2id\$/);
  });

  it("answers 409 for an email already used in the org, whatever its case; another org may use it", async () => {
    const dup = await create(w.admin, {
      email: w.agent.email.toUpperCase(),
      name: "Dup",
      role: "customer",
      password: NEW_PASSWORD,
    });
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: "conflict", message: expect.stringContaining("already exists") });
    const elsewhere = await create(other.admin, {
      email: w.agent.email,
      name: "Same address, other org",
      role: "customer",
      password: NEW_PASSWORD,
    });
    expect(elsewhere.status).toBe(201);
  });

  it("two concurrent creations of one address make one user and one 409", async () => {
    const email = `race-${Date.now()}@example.test`;
    const rs = await Promise.all([
      create(w.admin, { email, name: "A", role: "customer", password: NEW_PASSWORD }),
      create(w.admin, { email: email.toUpperCase(), name: "B", role: "customer", password: NEW_PASSWORD }),
    ]);
    expect(rs.map((r) => r.status).sort()).toEqual([201, 409]);
    expect(await q(sql`select id from users where org_id = ${w.org.id} and lower(email) = ${email}`)).toHaveLength(1);
  });

  it("is for admins only: agents and customers 403, no credentials 401", async () => {
    const body = { email: `x-${Date.now()}@example.test`, name: "X", role: "admin", password: NEW_PASSWORD };
    for (const a of [w.agent, w.customer]) {
      const r = await create(a, body);
      expect(r.status).toBe(403);
      expect(r.body.error.code).toBe("forbidden");
    }
    expect((await call(createRoute, "POST", "/api/v1/users", { body })).status).toBe(401);
    expect(await q(sql`select id from users where email = ${body.email}`)).toHaveLength(0);
  });

  it("validates the body: 400 with the offending field, never 500", async () => {
    const bad: [unknown, string][] = [
      [{ email: "not-an-email", name: "X", role: "agent" }, "email"],
      [{ email: "a@b.test", name: "", role: "agent" }, "name"],
      [{ email: "a@b.test", name: "X", role: "boss" }, "role"],
      [{ email: "a@b.test", name: "X", role: "agent", password: "too short" }, "password"],
      [{ email: "a@b.test", name: "X", role: "agent", password: "x".repeat(1025) }, "password"],
      [{ email: "a@b.test", name: "X", role: "agent", isAdmin: true }, ""],
    ];
    for (const [body, path] of bad) {
      const r = await create(w.admin, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.details.issues.map((i: { path: string }) => i.path)).toContain(path);
    }
    expect((await create(w.admin, "{nope")).status).toBe(400);
  });
});

describe("GET /api/v1/users/:id", () => {
  it("gives admins the account-security view; agents 403; another org's user 404", async () => {
    const r = await get(w.admin, w.agent.id);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      id: w.agent.id,
      role: "agent",
      invited: false,
      mustChangePassword: false,
      twoFactorEnabled: false,
      lastSignInAt: null,
    });
    expect((await get(w.agent, w.agent.id)).status).toBe(403);
    expect((await get(w.customer, w.agent.id)).status).toBe(403);
    const foreign = await get(w.admin, other.agent.id);
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.code).toBe("not_found");
    expect((await get(w.admin, "nope")).status).toBe(400);
  });
});

describe("PATCH /api/v1/users/:id", () => {
  it("changes name and role, audited with before and after", async () => {
    const u = await createUser(w.org, { role: "customer" });
    const r = await patch(w.admin, u.id, { name: "Promoted Person", role: "agent" });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: u.id,
      email: u.email,
      name: "Promoted Person",
      role: "agent",
      orgId: w.org.id,
      blocked: false,
      createdAt: expect.any(String),
    });
    // The role counts on the very next request.
    expect((await me({ cookie: await sessionCookie(u) })).body.role).toBe("agent");
    const [a] = await auditOf(w.org.id, u.id);
    expect(a).toMatchObject({
      action: "user.updated",
      actor_id: w.admin.id,
      data: { changes: { name: { to: "Promoted Person" }, role: { from: "customer", to: "agent" } } },
    });
    // A no-op change writes nothing.
    expect((await patch(w.admin, u.id, { role: "agent" })).status).toBe(200);
    expect(await auditOf(w.org.id, u.id)).toHaveLength(1);
  });

  it("blocking ends cookies and tokens and bumps the session version: unblocking revives none of them (issue 18.4)", async () => {
    const u = await withCookie(await createUser(w.org, { role: "agent" }));
    const grant = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: u.email, password: u.password },
      ip: "10.9.0.2",
    });
    expect(grant.status).toBe(201);
    // A token without an expiry, in an org that allows them.
    expect(
      (
        await call(securityRoute, "PUT", "/api/v1/org/security", {
          ...who(w.admin),
          body: { allowNonExpiringTokens: true },
        })
      ).status,
    ).toBe(200);
    const forever = await call(createTokenRoute, "POST", "/api/v1/me/tokens", {
      cookie: u.cookie,
      body: { name: "forever", expiresAt: null },
    });
    expect(forever.status, forever.text).toBe(201);
    expect(forever.body.expiresAt).toBeNull();
    const blocked = await patch(w.admin, u.id, { blocked: true });
    expect(blocked.status).toBe(200);
    expect(blocked.body.blocked).toBe(true);
    for (const o of [{ cookie: u.cookie }, { token: grant.body.token }, { token: forever.body.token }])
      expect((await me(o)).status).toBe(401);
    const signIn = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: u.email, password: u.password },
      ip: "10.9.0.2",
    });
    expect(signIn.status).toBe(401);
    const [row] = await q<{ session_version: number }>(sql`select session_version from users where id = ${u.id}`);
    expect(row!.session_version).toBe(u.sessionVersion + 1);
    expect((await patch(w.admin, u.id, { blocked: false })).body.blocked).toBe(false);
    const [after] = await q<{ session_version: number }>(sql`select session_version from users where id = ${u.id}`);
    expect(after!.session_version).toBe(u.sessionVersion + 2);
    // Nothing issued before the block comes back; signing in again works.
    for (const o of [{ cookie: u.cookie }, { token: grant.body.token }, { token: forever.body.token }])
      expect((await me(o)).status).toBe(401);
    const again = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: u.email, password: u.password },
      ip: "10.9.0.2",
    });
    expect(again.status).toBe(201);
    expect((await me({ token: again.body.token })).status).toBe(200);
    expect((await auditOf(w.org.id, u.id)).map((a) => a.action)).toEqual(["user.blocked", "user.unblocked"]);
    await call(securityRoute, "PUT", "/api/v1/org/security", {
      ...who(w.admin),
      body: { allowNonExpiringTokens: false },
    });
  });

  it("an admin cannot block themself", async () => {
    const r = await patch(w.admin, w.admin.id, { blocked: true });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/cannot block yourself/);
    expect((await me(w.admin)).status).toBe(200);
  });

  it("is for admins only; another org's user is 404 and unchanged; bad input 400", async () => {
    for (const a of [w.agent, w.customer])
      expect((await patch(a, w.customer2.id, { name: "Hacked" })).status).toBe(403);
    const foreign = await patch(w.admin, other.customer.id, { name: "Hacked", blocked: true });
    expect(foreign.status).toBe(404);
    const [row] = await q<{ name: string; blocked_at: Date | null }>(
      sql`select name, blocked_at from users where id = ${other.customer.id}`,
    );
    expect(row).toMatchObject({ blocked_at: null });
    expect(row!.name).not.toBe("Hacked");
    for (const body of [{}, { role: "boss" }, { blocked: "yes" }, { name: "" }, { email: "x@y.test" }]) {
      expect((await patch(w.admin, w.customer2.id, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await patch(w.admin, "not-a-uuid", { name: "X" })).status).toBe(400);
  });
});

describe("the org's last active admin", () => {
  it("cannot be demoted or blocked (409 last_admin); blocked and invited admins do not count", async () => {
    const org = await createOrg();
    const admin = await withCookie(await createUser(org, { role: "admin" }));
    const blockedAdmin = await createUser(org, { role: "admin", blocked: true });
    const created = await create(admin, {
      email: `invitee-${Date.now()}@example.test`,
      name: "Invited Admin",
      role: "admin",
    });
    expect(created.status).toBe(201);
    expect(created.body.invited).toBe(true);

    const demote = await patch(admin, admin.id, { role: "agent" });
    expect(demote.status).toBe(409);
    expect(demote.body.error).toMatchObject({
      code: "conflict",
      message: expect.stringContaining("last active admin"),
      details: { reason: "last_admin" },
    });
    expect(blockedAdmin.role).toBe("admin");

    // With a second active admin, either may be demoted or blocked — but not both.
    const second = await withCookie(await createUser(org, { role: "admin" }));
    expect((await patch(second, admin.id, { blocked: true })).status).toBe(200);
    const last = await patch(second, second.id, { role: "customer" });
    expect(last.status).toBe(409);
    expect((await patch(second, admin.id, { blocked: false })).status).toBe(200);
    expect((await patch(second, second.id, { role: "customer" })).status).toBe(200);
    const [n] = await q<{ n: number }>(
      sql`select count(*)::int as n from users where org_id = ${org.id} and role = 'admin' and blocked_at is null and password_hash is not null`,
    );
    expect(n!.n).toBe(1);
  });

  it("two concurrent demotions of the last two admins: exactly one succeeds, in every org", async () => {
    const rounds = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const org = await createOrg();
        const [a, b] = await Promise.all([
          createUser(org, { role: "admin" }).then(withCookie),
          createUser(org, { role: "admin" }).then(withCookie),
        ]);
        // Each demotes themself at the same moment: both see two admins unless the lock serializes them.
        const rs = await Promise.all([patch(a, a.id, { role: "agent" }), patch(b, b.id, { role: "agent" })]);
        const [n] = await q<{ n: number }>(
          sql`select count(*)::int as n from users where org_id = ${org.id} and role = 'admin'`,
        );
        return { statuses: rs.map((r) => r.status).sort(), admins: n!.n, orgId: org.id };
      }),
    );
    for (const r of rounds) {
      expect(r.statuses).toEqual([200, 409]);
      expect(r.admins).toBe(1);
      expect(await withTenant(r.orgId, (tx) => verifyChain(tx, r.orgId))).toMatchObject({ valid: true, checked: 1 });
    }
  });

  it("a concurrent block and demotion of the last two admins: exactly one succeeds", async () => {
    const org = await createOrg();
    const [a, b] = await Promise.all([
      createUser(org, { role: "admin" }).then(withCookie),
      createUser(org, { role: "admin" }).then(withCookie),
    ]);
    const c = await withCookie(await createUser(org, { role: "admin" }));
    await patch(c, c.id, { role: "agent" });
    const rs = await Promise.all([
      patch(a, b.id, { blocked: true }),
      patch(b, b.id, { role: "agent" }),
      patch(a, a.id, { role: "customer" }),
    ]);
    const [n] = await q<{ n: number }>(
      sql`select count(*)::int as n from users where org_id = ${org.id} and role = 'admin' and blocked_at is null`,
    );
    expect(n!.n).toBe(1);
    expect(rs.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(1);
    for (const r of rs) expect([200, 401, 403, 409]).toContain(r.status);
  });
});

describe("POST /api/v1/users/:id/revoke-sessions", () => {
  it("ends every cookie and token of the user at once (204), audited", async () => {
    const u = await withCookie(await createUser(w.org, { role: "customer" }));
    const grant = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: u.email, password: u.password },
      ip: "10.9.0.3",
    });
    const r = await revoke(w.admin, u.id);
    expect(r.status).toBe(204);
    expect(r.text).toBe("");
    expect((await me({ cookie: u.cookie })).status).toBe(401);
    expect((await me({ token: grant.body.token })).status).toBe(401);
    // Signing in again works: nothing else changed.
    expect(
      (
        await call(grantRoute, "POST", "/api/v1/auth/token", {
          body: { email: u.email, password: u.password },
          ip: "10.9.0.3",
        })
      ).status,
    ).toBe(201);
    expect((await auditOf(w.org.id, u.id)).map((a) => a.action)).toEqual(["user.sessions_revoked"]);
  });

  it("is for admins only; another org's user is 404 and keeps their session", async () => {
    for (const a of [w.agent, w.customer]) expect((await revoke(a, w.agent2.id)).status).toBe(403);
    expect((await me(w.agent2)).status).toBe(200);
    expect((await revoke(w.admin, other.agent.id)).status).toBe(404);
    expect((await me(other.agent)).status).toBe(200);
  });
});

describe("GET /api/v1/users still lists the SPEC shape", () => {
  it("shows created users to admins", async () => {
    const r = await call(listRoute, "GET", "/api/v1/users", { ...who(w.admin), query: { q: "new.agent" } });
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([expect.objectContaining({ email: "new.agent@example.test" })]);
    expect(Object.keys(r.body.data[0]!).sort()).toEqual([
      "blocked",
      "createdAt",
      "email",
      "id",
      "name",
      "orgId",
      "role",
    ]);
  });

  it("lists staff to agents; a customer, or an agent asking for customers, is refused by the users.list rules", async () => {
    const staff = await call(listRoute, "GET", "/api/v1/users", who(w.agent));
    expect(staff.status).toBe(200);
    expect(staff.body.data.map((u: { role: string }) => u.role)).not.toContain("customer");
    const customer = await call(listRoute, "GET", "/api/v1/users", who(w.customer));
    expect(customer.status).toBe(403);
    expect(customer.body.error.message).toBe("your role may not do this (users.list)");
    const customers = await call(listRoute, "GET", "/api/v1/users", { ...who(w.agent), query: { role: "customer" } });
    expect(customers.status).toBe(403);
    expect(customers.body.error.details).toEqual({ reason: "customers_not_listable" });
  });
});
