import { sql } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { GET as getSecurityRoute, PUT as putSecurityRoute } from "../helpers/http";
import { POST as grantRoute } from "../helpers/http";
import { GET as meRoute } from "../helpers/http";
import { GET as statusRoute } from "../helpers/http";
import { POST as setupRoute } from "../helpers/http";
import { POST as confirmRoute } from "../helpers/http";
import { POST as tokensRoute } from "../helpers/http";
import { POST as passwordRoute } from "../helpers/http";
import { GET as ticketsRoute } from "../helpers/http";
import { DELETE as resetTwoFactorRoute } from "../helpers/http";
import { base32Decode, totp } from "../../src/server/auth/totp";
import { verifyCredentials } from "../../src/server/auth/verify-credentials";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { createUser, sessionCookie } from "../helpers/factories";
import { createWorld, type Actor, type World } from "../helpers/world";
import { call, reissuedSession } from "../helpers/http";

// An org's admins may require two-factor sign-in for agents and admins. A staff member without it
// still signs in, but the session (cookie or token) reaches only /me and /me/2fa until set up.

let w: World;
let other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});
beforeEach(() => resetLimitersForTests());

const codeAt = (secret: string, offsetSteps = 0) => totp(base32Decode(secret), Date.now() + offsetSteps * 30_000);
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const putSecurity = (a: { cookie: string }, body: unknown) =>
  call(putSecurityRoute, "PUT", "/api/v1/org/security", { cookie: a.cookie, body });
const tickets = (o: { cookie?: string; token?: string }) => call(ticketsRoute, "GET", "/api/v1/tickets", o);

async function enable2fa(a: { cookie: string }): Promise<string> {
  const setup = await call(setupRoute, "POST", "/api/v1/me/2fa/setup", { cookie: a.cookie });
  expect(setup.status, setup.text).toBe(200);
  const confirm = await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", {
    cookie: a.cookie,
    body: { code: codeAt(setup.body.secret) },
  });
  expect(confirm.status, confirm.text).toBe(200);
  // Enabling two-factor bumps the session version: carry on with the re-issued session.
  a.cookie = reissuedSession(confirm);
  return setup.body.secret as string;
}

describe("GET/PUT /api/v1/org/security", () => {
  it("is for admins only", async () => {
    for (const a of [w.agent, w.customer]) {
      expect((await call(getSecurityRoute, "GET", "/api/v1/org/security", { cookie: a.cookie })).status).toBe(403);
      expect((await putSecurity(a, { require2fa: false })).status).toBe(403);
    }
    expect((await putSecurity(w.admin, { require2fa: "yes" })).status).toBe(400);
    expect((await putSecurity(w.admin, {})).status).toBe(400);
  });

  it("refuses to require two-factor until the admin has it on their own account", async () => {
    const r = await putSecurity(w.admin, { require2fa: true });
    expect(r.status).toBe(409);
    expect(r.body.error.message).toMatch(/your own account/);
    const g = await call(getSecurityRoute, "GET", "/api/v1/org/security", { cookie: w.admin.cookie });
    expect(g.body).toEqual({
      require2fa: false,
      staffWithoutTwoFactor: 3,
      tokenMaxDays: 366,
      allowNonExpiringTokens: false,
    });
  });
});

describe("with two-factor required", () => {
  let adminSecret: string;

  beforeAll(async () => {
    adminSecret = await enable2fa(w.admin);
    const r = await putSecurity(w.admin, { require2fa: true });
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      require2fa: true,
      staffWithoutTwoFactor: 2,
      tokenMaxDays: 366,
      allowNonExpiringTokens: false,
    });
    const [audit] = await q<{ action: string; actor_id: string; data: unknown }>(
      sql`select action, actor_id, data from audit_events where org_id = ${w.org.id} and action = 'org.security_updated'`,
    );
    expect(audit).toEqual({
      action: "org.security_updated",
      actor_id: w.admin.id,
      data: { changes: { require2fa: { from: false, to: true } } },
    });
  });

  it("a staff member without it signs in but reaches only /me and /me/2fa (403 2fa_setup_required elsewhere)", async () => {
    const grant = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: w.agent.email, password: w.agent.password },
      ip: "10.30.0.1",
    });
    expect(grant.status).toBe(201);
    for (const o of [{ cookie: w.agent.cookie }, { token: grant.body.token as string }]) {
      expect((await call(meRoute, "GET", "/api/v1/me", o)).status).toBe(200);
      expect((await call(statusRoute, "GET", "/api/v1/me/2fa", o)).body).toEqual({
        enabled: false,
        pending: false,
        required: true,
        recoveryCodesRemaining: 0,
      });
      const t = await tickets(o);
      expect(t.status).toBe(403);
      expect(t.body.error).toMatchObject({ code: "forbidden", details: { reason: "2fa_setup_required" } });
      expect((await call(tokensRoute, "POST", "/api/v1/me/tokens", { ...o, body: { name: "sneaky" } })).status).toBe(
        403,
      );
      const pw = await call(passwordRoute, "POST", "/api/v1/me/password", {
        ...o,
        body: { currentPassword: w.agent.password, newPassword: "a different passphrase" },
      });
      expect(pw.status).toBe(403);
    }
  });

  it("setting it up lifts the restriction for the same session at once", async () => {
    const agent2 = w.agent2;
    expect((await tickets(agent2)).status).toBe(403);
    const secret = await enable2fa(agent2);
    expect((await tickets(agent2)).status).toBe(200);
    // …and from now on sign-in asks for the code.
    const none = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: agent2.email, password: agent2.password },
      ip: "10.30.0.2",
    });
    expect(none.body.error.details).toEqual({ reason: "2fa_required" });
    const ok = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: agent2.email, password: agent2.password, code: codeAt(secret, 1) },
      ip: "10.30.0.2",
    });
    expect(ok.status).toBe(201);
  });

  it("customers, admins with two-factor, and other orgs are not restricted", async () => {
    expect((await tickets(w.customer)).status).toBe(200);
    expect((await tickets(w.admin)).status).toBe(200);
    expect((await tickets(other.agent)).status).toBe(200);
    expect(adminSecret).toMatch(/^[A-Z2-7]{32}$/);
  });

  it("a forced password change comes first, then the two-factor setup", async () => {
    const u = await createUser(w.org, { role: "agent", mustChangePassword: true });
    const cookie = await sessionCookie(u);
    const t = await tickets({ cookie });
    expect(t.body.error.details).toEqual({ reason: "password_change_required" });
    expect((await call(setupRoute, "POST", "/api/v1/me/2fa/setup", { cookie })).body.error.details).toEqual({
      reason: "password_change_required",
    });
    const changed = await call(passwordRoute, "POST", "/api/v1/me/password", {
      cookie,
      body: { currentPassword: u.password, newPassword: "a new passphrase for me" },
    });
    expect(changed.status).toBe(200);
    const fresh = await sessionCookie({ ...u, sessionVersion: u.sessionVersion + 1 });
    expect((await tickets({ cookie: fresh })).body.error.details).toEqual({ reason: "2fa_setup_required" });
  });

  it("sign-in itself succeeds for the restricted user (no code asked: they have none yet)", async () => {
    const u = await createUser(w.org, { role: "admin" });
    expect(
      await verifyCredentials({ email: u.email, password: u.password, ip: "10.30.0.3", via: "form" }),
    ).toMatchObject({ userId: u.id, secondFactor: null });
  });
});

describe("DELETE /api/v1/users/:id/2fa (admin resets someone's two-factor)", () => {
  let target: Actor;
  let targetSecret: string;
  beforeAll(async () => {
    const u = await createUser(w.org, { role: "customer" });
    target = { ...u, cookie: await sessionCookie(u) };
    targetSecret = await enable2fa(target);
  });
  const reset = (a: { cookie: string }, id: string) =>
    call(resetTwoFactorRoute, "DELETE", `/api/v1/users/${id}/2fa`, { cookie: a.cookie, params: { id } });

  it("is for admins only, 404 across orgs, and not for the admin's own account", async () => {
    for (const a of [w.agent, w.customer]) expect((await reset(a, target.id)).status).toBe(403);
    expect((await reset(other.admin, target.id)).status).toBe(404);
    const self = await reset(w.admin, w.admin.id);
    expect(self.status).toBe(409);
    expect(self.body.error.message).toMatch(/DELETE \/api\/v1\/me\/2fa/);
    expect((await call(statusRoute, "GET", "/api/v1/me/2fa", { cookie: target.cookie })).body.enabled).toBe(true);
  });

  it("turns it off (204, audited): the user signs in with the password alone", async () => {
    const before = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: target.email, password: target.password },
      ip: "10.31.0.1",
    });
    expect(before.body.error.details).toEqual({ reason: "2fa_required" });
    expect((await reset(w.admin, target.id)).status).toBe(204);
    const after = await call(grantRoute, "POST", "/api/v1/auth/token", {
      body: { email: target.email, password: target.password },
      ip: "10.31.0.1",
    });
    expect(after.status).toBe(201);
    expect(await q(sql`select id from recovery_codes where user_id = ${target.id}`)).toHaveLength(0);
    const [audit] = await q<{ action: string; data: Record<string, unknown> }>(
      sql`select action, data from audit_events where entity_id = ${target.id} and action = 'user.2fa_reset'`,
    );
    expect(audit!.data).toEqual({ email: target.email, wasEnabled: true });
    expect(JSON.stringify(audit)).not.toContain(targetSecret);
  });
});
