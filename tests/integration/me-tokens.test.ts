import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as me } from "../helpers/http";
import { GET as listTokens, POST as createToken } from "../helpers/http";
import { DELETE as deleteToken } from "../helpers/http";
import { POST as changePassword } from "../helpers/http";
import { GET as getSecurity, PUT as putSecurity } from "../helpers/http";
import { DELETE as revokeOrgToken } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { createOrg, createUser, sessionCookie, type TestOrg, type TestUser } from "../helpers/factories";
import { call } from "../helpers/http";

let orgA: TestOrg, orgB: TestOrg, alice: TestUser, bob: TestUser, carol: TestUser;

beforeAll(async () => {
  orgA = await createOrg();
  orgB = await createOrg();
  alice = await createUser(orgA, { role: "admin" });
  bob = await createUser(orgA, { role: "customer" });
  carol = await createUser(orgB, { role: "admin" });
});

async function newToken(u: TestUser, body: Record<string, unknown> = { name: "ci" }) {
  const r = await call(createToken, "POST", "/api/v1/me/tokens", { cookie: await sessionCookie(u), body });
  expect(r.status, r.text).toBe(201);
  return r.body as { id: string; token: string; name: string; expiresAt: string | null };
}

const bumpSessionVersion = (u: TestUser) =>
  unsafeWithSystem((tx) => tx.execute(sql`update users set session_version = session_version + 1 where id = ${u.id}`));

describe("GET /api/v1/me", () => {
  it("answers the session's user with the SPEC shape", async () => {
    const r = await call(me, "GET", "/api/v1/me", { cookie: await sessionCookie(alice) });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({
      id: alice.id,
      email: alice.email,
      name: expect.any(String),
      role: "admin",
      orgId: orgA.id,
      mustChangePassword: false,
    });
    expect(r.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("is 401 with no credentials, a garbage cookie or a garbage bearer", async () => {
    for (const o of [
      {},
      { cookie: "next-auth.session-token=garbage" },
      { token: "nope" },
      { token: `bcn_${"0".repeat(32)}_${"a".repeat(43)}` },
    ]) {
      const r = await call(me, "GET", "/api/v1/me", o);
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe("unauthenticated");
    }
  });

  it("keeps a caller-supplied request id when it is sane", async () => {
    const r = await call(me, "GET", "/api/v1/me", { headers: { "x-request-id": "trace-1234abcd" } });
    expect(r.headers.get("x-request-id")).toBe("trace-1234abcd");
    const bad = await call(me, "GET", "/api/v1/me", { headers: { "x-request-id": "<script>" } });
    expect(bad.headers.get("x-request-id")).not.toBe("<script>");
  });
});

describe("personal API tokens", () => {
  it("creates (shown once), lists without the secret, authenticates, and revokes", async () => {
    const t = await newToken(alice, { name: "laptop" });
    // bcn_<org hex>_<token id hex>_<secret>: the id is visible in the string (issue 21, revoking one token).
    const prefix = `bcn_${orgA.id.replace(/-/g, "")}_${t.id.replace(/-/g, "")}_`;
    expect(t.token.startsWith(prefix)).toBe(true);
    expect(t.token).toMatch(/^bcn_[0-9a-f]{32}_[0-9a-f]{32}_[A-Za-z0-9_-]{43}$/);
    // No expiry asked for: the org's maximum lifetime (366 days by default), not "never".
    expect(Date.parse(t.expiresAt!) - Date.now()).toBeGreaterThan(365 * 86_400_000);
    const list = await call(listTokens, "GET", "/api/v1/me/tokens", { token: t.token });
    expect(list.status).toBe(200);
    const item = list.body.data.find((x: { id: string }) => x.id === t.id);
    expect(item).toMatchObject({ id: t.id, prefix, name: "laptop", expiresAt: t.expiresAt });
    expect(item!.lastUsedAt).not.toBeNull();
    expect(JSON.stringify(list.body)).not.toContain(t.token);

    const del = await call(deleteToken, "DELETE", `/api/v1/me/tokens/${t.id}`, {
      token: t.token,
      params: { id: t.id },
    });
    expect(del.status).toBe(204);
    expect((await call(me, "GET", "/api/v1/me", { token: t.token })).status).toBe(401);
  });

  it("an expired token is 401", async () => {
    const t = await newToken(alice, { name: "short", expiresAt: new Date(Date.now() + 60_000).toISOString() });
    expect((await call(me, "GET", "/api/v1/me", { token: t.token })).status).toBe(200);
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update api_tokens set expires_at = now() - interval '1 second' where id = ${t.id}`),
    );
    expect((await call(me, "GET", "/api/v1/me", { token: t.token })).status).toBe(401);
  });

  it("validates name and expiry", async () => {
    const cookie = await sessionCookie(alice);
    for (const body of [
      {},
      { name: "" },
      { name: "x".repeat(101) },
      { name: "x", expiresAt: "tomorrow" },
      { name: "x", expiresAt: "2001-01-01T00:00:00Z" },
      { name: "x", expiresAt: "2999-01-01T00:00:00Z" },
    ]) {
      const r = await call(createToken, "POST", "/api/v1/me/tokens", { cookie, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    const r = await call(createToken, "POST", "/api/v1/me/tokens", {
      cookie,
      body: "name=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(r.status).toBe(415);
  });

  it("another user's or another org's token id is 404 and stays valid", async () => {
    const bobs = await newToken(bob);
    const carols = await newToken(carol);
    const cookie = await sessionCookie(alice);
    for (const t of [bobs, carols]) {
      const r = await call(deleteToken, "DELETE", `/api/v1/me/tokens/${t.id}`, { cookie, params: { id: t.id } });
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe("not_found");
    }
    expect((await call(me, "GET", "/api/v1/me", { token: bobs.token })).status).toBe(200);
    expect((await call(me, "GET", "/api/v1/me", { token: carols.token })).status).toBe(200);
    const bad = await call(deleteToken, "DELETE", "/api/v1/me/tokens/not-a-uuid", {
      cookie,
      params: { id: "not-a-uuid" },
    });
    expect(bad.status).toBe(400);
  });

  it("a token naming org B but issued in org A does not authenticate", async () => {
    const t = await newToken(alice);
    const forged = t.token.replace(/^bcn_[0-9a-f]{32}_/, `bcn_${orgB.id.replace(/-/g, "")}_`);
    expect((await call(me, "GET", "/api/v1/me", { token: forged })).status).toBe(401);
  });
});

describe("revocation and blocking take effect on the very next request", () => {
  it("a sessionVersion bump kills cookies and tokens", async () => {
    const u = await createUser(orgA, { role: "agent" });
    const cookie = await sessionCookie(u);
    const t = await newToken(u);
    expect((await call(me, "GET", "/api/v1/me", { cookie })).status).toBe(200);
    await bumpSessionVersion(u);
    expect((await call(me, "GET", "/api/v1/me", { cookie })).status).toBe(401);
    expect((await call(me, "GET", "/api/v1/me", { token: t.token })).status).toBe(401);
  });

  // The API's block also bumps sessionVersion, so its unblock revives nothing (users.test.ts); this is blocked_at alone.
  it("blocked_at alone refuses cookies and tokens while it is set", async () => {
    const u = await createUser(orgA, { role: "agent" });
    const cookie = await sessionCookie(u);
    const t = await newToken(u);
    await unsafeWithSystem((tx) => tx.execute(sql`update users set blocked_at = now() where id = ${u.id}`));
    expect((await call(me, "GET", "/api/v1/me", { cookie })).status).toBe(401);
    expect((await call(me, "GET", "/api/v1/me", { token: t.token })).status).toBe(401);
    await unsafeWithSystem((tx) => tx.execute(sql`update users set blocked_at = null where id = ${u.id}`));
    expect((await call(me, "GET", "/api/v1/me", { token: t.token })).status).toBe(200);
  });
});

describe("POST /api/v1/me/password", () => {
  it("a must-change-password user may only reach /me and the password change", async () => {
    const u = await createUser(orgA, { role: "agent", mustChangePassword: true });
    const cookie = await sessionCookie(u);
    expect((await call(me, "GET", "/api/v1/me", { cookie })).body.mustChangePassword).toBe(true);
    const blocked = await call(listTokens, "GET", "/api/v1/me/tokens", { cookie });
    expect(blocked.status).toBe(403);
    expect(blocked.body.error.details).toEqual({ reason: "password_change_required" });

    const wrong = await call(changePassword, "POST", "/api/v1/me/password", {
      cookie,
      body: { currentPassword: "nope", newPassword: "a brand new passphrase" },
    });
    expect(wrong.status).toBe(400);
    const short = await call(changePassword, "POST", "/api/v1/me/password", {
      cookie,
      body: { currentPassword: u.password, newPassword: "short" },
    });
    expect(short.status).toBe(400);
    const ok = await call(changePassword, "POST", "/api/v1/me/password", {
      cookie,
      body: { currentPassword: u.password, newPassword: "a brand new passphrase" },
    });
    expect(ok.status).toBe(200);
    // Every earlier session ends, including this one.
    expect((await call(me, "GET", "/api/v1/me", { cookie })).status).toBe(401);
    const fresh = await sessionCookie({ ...u, sessionVersion: u.sessionVersion + 1 });
    const after = await call(me, "GET", "/api/v1/me", { cookie: fresh });
    expect(after.body.mustChangePassword).toBe(false);
  });
});

describe("token lifetime policy per org (issue 18.4) and revoking one token by its id (issue 21)", () => {
  const cookieOf = (u: TestUser) => sessionCookie(u);
  const setPolicy = async (body: Record<string, unknown>) => {
    const r = await call(putSecurity, "PUT", "/api/v1/org/security", { cookie: await cookieOf(alice), body });
    expect(r.status, r.text).toBe(200);
    return r.body;
  };
  const create = async (u: TestUser, body: Record<string, unknown>) =>
    call(createToken, "POST", "/api/v1/me/tokens", { cookie: await cookieOf(u), body });
  const issuesOf = (r: { body: { error: { details?: { issues?: { path: string; message: string }[] } } } }) =>
    r.body.error.details?.issues ?? [];

  it("a token without an expiry is 400 naming expiresAt unless the org allows it; beyond the maximum is 400 too", async () => {
    const before = await call(getSecurity, "GET", "/api/v1/org/security", { cookie: await cookieOf(alice) });
    expect(before.body).toMatchObject({ tokenMaxDays: 366, allowNonExpiringTokens: false });
    const never = await create(alice, { name: "never", expiresAt: null });
    expect(never.status).toBe(400);
    expect(issuesOf(never)).toEqual([
      expect.objectContaining({ path: "expiresAt", message: expect.stringMatching(/without an expiry/) }),
    ]);

    expect(await setPolicy({ tokenMaxDays: 30 })).toMatchObject({ tokenMaxDays: 30, allowNonExpiringTokens: false });
    const far = await create(alice, { name: "far", expiresAt: new Date(Date.now() + 31 * 86_400_000).toISOString() });
    expect(far.status).toBe(400);
    expect(issuesOf(far)).toEqual([
      expect.objectContaining({ path: "expiresAt", message: expect.stringMatching(/within 30 days/) }),
    ]);
    const ok = await create(alice, { name: "near", expiresAt: new Date(Date.now() + 29 * 86_400_000).toISOString() });
    expect(ok.status).toBe(201);
    const dflt = await create(alice, { name: "default" });
    expect(Date.parse(dflt.body.expiresAt!) - Date.now()).toBeLessThanOrEqual(30 * 86_400_000);
    // The other org's policy is its own.
    expect(
      (await create(carol, { name: "carol-far", expiresAt: new Date(Date.now() + 200 * 86_400_000).toISOString() }))
        .status,
    ).toBe(201);

    await setPolicy({ allowNonExpiringTokens: true });
    const allowed = await create(alice, { name: "forever", expiresAt: null });
    expect(allowed.status).toBe(201);
    expect(allowed.body.expiresAt).toBeNull();
    expect((await call(me, "GET", "/api/v1/me", { token: allowed.body.token })).status).toBe(200);
    // Turning it off again ends the token without an expiry once it is older than the maximum.
    await setPolicy({ allowNonExpiringTokens: false, tokenMaxDays: 1 });
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update api_tokens set created_at = now() - interval '2 days' where id = ${allowed.body.id}`),
    );
    expect((await call(me, "GET", "/api/v1/me", { token: allowed.body.token })).status).toBe(401);
    const listed = await call(listTokens, "GET", "/api/v1/me/tokens", { cookie: await cookieOf(alice) });
    expect(listed.body.data.map((x: { id: string }) => x.id)).not.toContain(allowed.body.id);
    for (const body of [
      { tokenMaxDays: 0 },
      { tokenMaxDays: 367 },
      { tokenMaxDays: 1.5 },
      { allowNonExpiringTokens: "yes" },
      { other: 1 },
    ]) {
      const r = await call(putSecurity, "PUT", "/api/v1/org/security", { cookie: await cookieOf(alice), body });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
    await setPolicy({ tokenMaxDays: 366 });
  });

  it("tokens minted before the id was added (bcn_<org>_<secret>) stay valid", async () => {
    const legacy = `bcn_${orgA.id.replace(/-/g, "")}_${"L".repeat(43)}`;
    await unsafeWithSystem((tx) =>
      tx.execute(sql`insert into api_tokens (org_id, user_id, name, token_hash, session_version, expires_at)
        values (${orgA.id}, ${alice.id}, 'legacy', encode(sha256(${legacy}::bytea), 'hex'), ${alice.sessionVersion}, now() + interval '1 day')`),
    );
    expect((await call(me, "GET", "/api/v1/me", { token: legacy })).status).toBe(200);
  });

  it("an admin revokes any token of the org by its id (audited); other roles 403, another org's token 404", async () => {
    const t = await newToken(bob, { name: "leaked" });
    const carols = await newToken(carol, { name: "carols" });
    expect(
      (
        await call(revokeOrgToken, "DELETE", `/api/v1/tokens/${t.id}`, {
          cookie: await cookieOf(bob),
          params: { id: t.id },
        })
      ).status,
    ).toBe(403);
    const foreign = await call(revokeOrgToken, "DELETE", `/api/v1/tokens/${carols.id}`, {
      cookie: await cookieOf(alice),
      params: { id: carols.id },
    });
    expect(foreign.status).toBe(404);
    expect((await call(me, "GET", "/api/v1/me", { token: carols.token })).status).toBe(200);
    const r = await call(revokeOrgToken, "DELETE", `/api/v1/tokens/${t.id}`, {
      cookie: await cookieOf(alice),
      params: { id: t.id },
    });
    expect(r.status).toBe(204);
    expect((await call(me, "GET", "/api/v1/me", { token: t.token })).status).toBe(401);
    expect(
      (
        await call(revokeOrgToken, "DELETE", `/api/v1/tokens/${t.id}`, {
          cookie: await cookieOf(alice),
          params: { id: t.id },
        })
      ).status,
    ).toBe(404);
    const audit = await unsafeWithSystem((tx) =>
      tx.execute<{ action: string; data: { tokenId: string } }>(
        sql`select action, data from audit_events where org_id = ${orgA.id} and action = 'token.revoked'`,
      ),
    );
    expect(audit.rows.map((a) => a.data.tokenId)).toContain(t.id);
    expect(JSON.stringify(audit.rows)).not.toContain(t.token);
  });
});
