import { sql } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as grantRoute } from "../helpers/http";
import { DELETE as disableRoute, GET as statusRoute } from "../helpers/http";
import { POST as setupRoute } from "../helpers/http";
import { POST as confirmRoute } from "../helpers/http";
import { POST as regenerateRoute } from "../helpers/http";
import { authOptions } from "../../src/server/auth/nextauth";
import { base32Decode, totp } from "../../src/server/auth/totp";
import { verifyCredentials } from "../../src/server/auth/verify-credentials";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { createOrg, createUser, sessionCookie, type TestOrg, type TestUser } from "../helpers/factories";
import { call, reissuedSession } from "../helpers/http";

// Two-factor sign-in for one's own account: setup → confirm (recovery codes) → sign-in and token
// grant ask for a code → recovery codes work once → disable. The org requirement: two-factor-required.

let org: TestOrg;
beforeAll(async () => {
  org = await createOrg();
});
beforeEach(() => resetLimitersForTests());

type Enrolled = TestUser & { cookie: string; secret: string; recoveryCodes: string[] };

const codeAt = (secret: string, offsetSteps = 0) => totp(base32Decode(secret), Date.now() + offsetSteps * 30_000);
/** A 6-digit code that matches no step of the acceptance window (now ±1, with a margin). */
function wrongCode(secret: string): string {
  const live = [-2, -1, 0, 1, 2].map((o) => codeAt(secret, o));
  for (let n = 0; ; n++) {
    const c = String((n * 7919 + 123_457) % 1_000_000).padStart(6, "0");
    if (!live.includes(c)) return c;
  }
}
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
/** Lets the current TOTP step be used again (each step is otherwise accepted once). */
const forgetLastStep = (u: { id: string }) => q(sql`update users set totp_last_step = null where id = ${u.id}`);
const grant = (body: Record<string, unknown>, ip = "10.20.0.1") =>
  call(grantRoute, "POST", "/api/v1/auth/token", { body, ip });
const status = (cookie: string) => call(statusRoute, "GET", "/api/v1/me/2fa", { cookie });

async function enrolled(role: TestUser["role"] = "agent"): Promise<Enrolled> {
  const u = await createUser(org, { role });
  const cookie = await sessionCookie(u);
  const setup = await call(setupRoute, "POST", "/api/v1/me/2fa/setup", { cookie });
  expect(setup.status, setup.text).toBe(200);
  const confirm = await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", {
    cookie,
    body: { code: codeAt(setup.body.secret) },
  });
  expect(confirm.status, confirm.text).toBe(200);
  // Enabling two-factor bumps the session version; the confirming session comes back re-issued.
  return {
    ...u,
    sessionVersion: u.sessionVersion + 1,
    cookie: reissuedSession(confirm),
    secret: setup.body.secret,
    recoveryCodes: confirm.body.recoveryCodes,
  };
}

describe("setting up two-factor sign-in", () => {
  it("setup issues a pending secret (stored encrypted); confirm with a code turns it on and shows 10 recovery codes once", async () => {
    const u = await createUser(org, { role: "customer" });
    let cookie = await sessionCookie(u);
    expect((await status(cookie)).body).toEqual({
      enabled: false,
      pending: false,
      required: false,
      recoveryCodesRemaining: 0,
    });

    const setup = await call(setupRoute, "POST", "/api/v1/me/2fa/setup", { cookie });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(setup.body.otpauthUrl);
    expect(url.protocol).toBe("otpauth:");
    expect(url.searchParams.get("secret")).toBe(setup.body.secret);
    expect(url.searchParams.get("issuer")).toBe("Beacon");
    expect(decodeURIComponent(url.pathname)).toContain(u.email);
    const [row] = await q<{ totp_secret: string; totp_enabled_at: Date | null }>(
      sql`select totp_secret, totp_enabled_at from users where id = ${u.id}`,
    );
    expect(row!.totp_secret).toMatch(/^v1\./);
    expect(row!.totp_secret).not.toContain(setup.body.secret);
    expect(row!.totp_enabled_at).toBeNull();
    expect((await status(cookie)).body).toMatchObject({ enabled: false, pending: true });
    // Pending changes nothing at sign-in yet.
    expect((await grant({ email: u.email, password: u.password })).status).toBe(201);

    const wrong = await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", {
      cookie,
      body: { code: wrongCode(setup.body.secret) },
    });
    expect(wrong.status).toBe(400);
    expect(wrong.body.error.details.issues).toEqual([{ in: "body", path: "code", message: "is incorrect" }]);

    const pendingToken = await grant({ email: u.email, password: u.password });
    const ok = await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", {
      cookie,
      body: { code: codeAt(setup.body.secret) },
    });
    expect(ok.status).toBe(200);
    // Issue 18.13: sessions and tokens from before two-factor end; the confirming session is re-issued.
    expect((await status(cookie)).status).toBe(401);
    expect((await call(statusRoute, "GET", "/api/v1/me/2fa", { token: pendingToken.body.token })).status).toBe(401);
    const oldCookie = cookie;
    cookie = reissuedSession(ok);
    expect(cookie).not.toBe(oldCookie);
    expect(ok.headers.get("set-cookie")).toMatch(/HttpOnly; SameSite=Lax/);
    expect(ok.body.enabled).toBe(true);
    expect(ok.body.recoveryCodes).toHaveLength(10);
    expect(new Set(ok.body.recoveryCodes).size).toBe(10);
    for (const c of ok.body.recoveryCodes) expect(c).toMatch(/^[a-z2-7]{4}(-[a-z2-7]{4}){3}$/);
    const stored = await q<{ code_hash: string }>(sql`select code_hash from recovery_codes where user_id = ${u.id}`);
    expect(stored).toHaveLength(10);
    for (const s of stored) expect(s.code_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toMatch(
      new RegExp(ok.body.recoveryCodes.map((c: string) => c.replace(/-/g, "")).join("|")),
    );
    expect((await status(cookie)).body).toEqual({
      enabled: true,
      pending: false,
      required: false,
      recoveryCodesRemaining: 10,
    });

    expect((await call(setupRoute, "POST", "/api/v1/me/2fa/setup", { cookie })).status).toBe(409);
    expect(
      (
        await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", {
          cookie,
          body: { code: codeAt(setup.body.secret) },
        })
      ).status,
    ).toBe(409);
    const actions = await q<{ action: string }>(
      sql`select action from audit_events where entity_id = ${u.id} order by seq`,
    );
    expect(actions.map((a) => a.action)).toEqual(["user.2fa_setup_started", "user.2fa_enabled"]);
  });

  it("confirm without a setup is 409; bad bodies are 400", async () => {
    const cookie = await sessionCookie(await createUser(org, { role: "agent" }));
    expect(
      (await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", { cookie, body: { code: "123456" } })).status,
    ).toBe(409);
    for (const body of [
      {},
      { code: "" },
      { code: 123456 },
      { code: "1".repeat(65) },
      { code: "123456", extra: true },
    ]) {
      expect(
        (await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", { cookie, body })).status,
        JSON.stringify(body),
      ).toBe(400);
    }
    expect((await call(statusRoute, "GET", "/api/v1/me/2fa", {})).status).toBe(401);
  });
});

describe("signing in with two-factor on", () => {
  it("token grant: no code → 401 2fa_required; wrong code → the same; the right code → token; a used code is refused", async () => {
    const u = await enrolled();
    const none = await grant({ email: u.email, password: u.password });
    expect(none.status).toBe(401);
    expect(none.body.error).toMatchObject({ code: "unauthenticated", details: { reason: "2fa_required" } });
    // A wrong password says nothing about two-factor.
    const badPassword = await grant({ email: u.email, password: "not the password at all", code: codeAt(u.secret, 1) });
    expect(badPassword.status).toBe(401);
    expect(badPassword.body.error.details).toBeUndefined();

    const next = codeAt(u.secret, 1);
    const wrong = await grant({ email: u.email, password: u.password, code: wrongCode(u.secret) });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.details).toEqual({ reason: "2fa_required" });
    const ok = await grant({ email: u.email, password: u.password, code: next });
    expect(ok.status, ok.text).toBe(201);
    const replay = await grant({ email: u.email, password: u.password, code: next });
    expect(replay.status).toBe(401);
    expect(replay.body.error.details).toEqual({ reason: "2fa_required" });
  });

  it("wrong codes count as sign-in failures: after 5, even the right code is 429 from that IP", async () => {
    const u = await enrolled();
    for (let i = 0; i < 5; i++) {
      const r = await grant({ email: u.email, password: u.password, code: wrongCode(u.secret) }, "10.21.0.1");
      expect(r.status).toBe(401);
    }
    const limited = await grant({ email: u.email, password: u.password, code: codeAt(u.secret, 1) }, "10.21.0.1");
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
  });

  it("wrong codes also count per account across IPs (10 per 15 minutes)", async () => {
    const u = await enrolled();
    for (let i = 0; i < 10; i++)
      expect(
        (await grant({ email: u.email, password: u.password, code: wrongCode(u.secret) }, `10.22.0.${i + 1}`)).status,
      ).toBe(401);
    const limited = await grant({ email: u.email, password: u.password, code: codeAt(u.secret, 1) }, "10.22.1.1");
    expect(limited.status).toBe(429);
    expect(limited.body.error.message).toMatch(/one-time codes/);
  });

  it("a recovery code works once (any case, spaces or dashes), is audited, and two concurrent uses get one token", async () => {
    const u = await enrolled();
    const [first, second] = u.recoveryCodes;
    const typed = first!.toUpperCase().replace(/-/g, " ");
    const ok = await grant({ email: u.email, password: u.password, code: typed });
    expect(ok.status, ok.text).toBe(201);
    expect((await grant({ email: u.email, password: u.password, code: first })).status).toBe(401);
    expect((await status(u.cookie)).body.recoveryCodesRemaining).toBe(9);

    const both = await Promise.all([
      grant({ email: u.email, password: u.password, code: second }, "10.23.0.1"),
      grant({ email: u.email, password: u.password, code: second }, "10.23.0.2"),
    ]);
    expect(both.map((r) => r.status).sort()).toEqual([201, 401]);
    const audit = await q<{ action: string; data: Record<string, unknown> }>(
      sql`select action, data from audit_events where entity_id = ${u.id} and action = 'user.recovery_code_used' order by seq`,
    );
    expect(audit.map((a) => a.data)).toEqual([{ remaining: 9 }, { remaining: 8 }]);
  });

  it("verifyCredentials reports which factor was used", async () => {
    const u = await enrolled();
    const v = await verifyCredentials({
      email: u.email,
      password: u.password,
      code: codeAt(u.secret, 1),
      ip: "10.24.0.1",
      via: "api",
    });
    expect(v).toMatchObject({ userId: u.id, secondFactor: "totp" });
    const plain = await createUser(org, { role: "agent" });
    expect(
      await verifyCredentials({ email: plain.email, password: plain.password, ip: "10.24.0.1", via: "api" }),
    ).toMatchObject({ secondFactor: null });
  });

  it("the sign-in form (NextAuth authorize) throws 2fa_required so the form can ask for the code", async () => {
    const u = await enrolled();
    const provider = authOptions().providers[0] as unknown as {
      options: { authorize: (c: Record<string, string>, r: unknown) => Promise<unknown> };
    };
    const authorize = (c: Record<string, string>) =>
      provider.options.authorize(c, { headers: { "x-forwarded-for": "10.25.0.1" } });
    await expect(authorize({ email: u.email, password: u.password })).rejects.toThrow(/^2fa_required$/);
    await expect(authorize({ email: u.email, password: u.password, code: "12345" })).rejects.toThrow(/^2fa_required$/);
    expect(await authorize({ email: u.email, password: "wrong password entirely" })).toBeNull();
    expect(await authorize({ email: u.email, password: u.password, code: codeAt(u.secret, 1) })).toEqual({
      id: u.id,
      oid: org.id,
      sv: u.sessionVersion,
    });
  });
});

describe("turning two-factor off and replacing recovery codes", () => {
  it("DELETE /me/2fa needs the password and a code; afterwards sign-in needs no code", async () => {
    const u = await enrolled();
    const del = (body: unknown) => call(disableRoute, "DELETE", "/api/v1/me/2fa", { cookie: u.cookie, body });
    const badPassword = await del({ password: "not my password", code: codeAt(u.secret, 1) });
    expect(badPassword.status).toBe(400);
    expect(badPassword.body.error.details.issues[0].path).toBe("password");
    const badCode = await del({ password: u.password, code: "abcd-efgh-ijkl-mnop" });
    expect(badCode.status).toBe(400);
    expect(badCode.body.error.details.issues[0].path).toBe("code");
    expect((await del({ password: u.password })).status).toBe(400);
    expect((await del({ password: u.password, code: u.recoveryCodes[3] })).status).toBe(204);
    expect((await status(u.cookie)).body).toEqual({
      enabled: false,
      pending: false,
      required: false,
      recoveryCodesRemaining: 0,
    });
    expect(await q(sql`select id from recovery_codes where user_id = ${u.id}`)).toHaveLength(0);
    expect((await grant({ email: u.email, password: u.password })).status).toBe(201);
    expect((await del({ password: u.password, code: codeAt(u.secret, 1) })).status).toBe(409);
    const actions = await q<{ action: string }>(
      sql`select action from audit_events where entity_id = ${u.id} order by seq`,
    );
    expect(actions.map((a) => a.action)).toContain("user.2fa_disabled");
  });

  it("new recovery codes replace the old ones", async () => {
    const u = await enrolled();
    await forgetLastStep(u);
    const r = await call(regenerateRoute, "POST", "/api/v1/me/2fa/recovery-codes", {
      cookie: u.cookie,
      body: { code: codeAt(u.secret) },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.body.recoveryCodes).toHaveLength(10);
    expect(r.body.recoveryCodes).not.toContain(u.recoveryCodes[0]);
    expect((await grant({ email: u.email, password: u.password, code: u.recoveryCodes[0] })).status).toBe(401);
    expect((await grant({ email: u.email, password: u.password, code: r.body.recoveryCodes[0] })).status).toBe(201);
    const wrong = await call(regenerateRoute, "POST", "/api/v1/me/2fa/recovery-codes", {
      cookie: u.cookie,
      body: { code: "nope" },
    });
    expect(wrong.status).toBe(400);
  });
});
