import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as createRoute } from "../helpers/http";
import { POST as resetRoute } from "../helpers/http";
import { POST as setupRoute } from "../helpers/http";
import { POST as grantRoute } from "../helpers/http";
import { GET as meRoute } from "../helpers/http";
import { GET as userRoute } from "../helpers/http";
import { hashToken } from "../../src/server/auth/api-tokens";
import { inspectSetupLink } from "../../src/server/auth/setup-link";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { createUser, sessionCookie } from "../helpers/factories";
import { startSmtp } from "../helpers/receivers";
import { createWorld, type World } from "../helpers/world";
import { call } from "../helpers/http";

// Invitations (POST /users without a password) and admin password resets: one-time links (24 h)
// emailed through the mail channel — or handed to the admin when no SMTP_URL is configured —
// and redeemed on the setup page / POST /api/v1/auth/setup.

const CHOSEN = "my own chosen passphrase";
let w: World;
let other: World;
let dataDir: string;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-links-"));
  setProcessEnv({ BEACON_DATA_DIR: dataDir, SMTP_URL: "" });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});
afterAll(() => setProcessEnv({ SMTP_URL: "" }));
beforeEach(() => resetLimitersForTests());

const invite = (a: { cookie: string }, body: Record<string, unknown>) =>
  call(createRoute, "POST", "/api/v1/users", { cookie: a.cookie, body });
const reset = (a: { cookie: string }, id: string) =>
  call(resetRoute, "POST", `/api/v1/users/${id}/reset-password`, { cookie: a.cookie, params: { id } });
const redeem = (token: string, password = CHOSEN) =>
  call(setupRoute, "POST", "/api/v1/auth/setup", { body: { token, password } });
const grant = (email: string, password: string) =>
  call(grantRoute, "POST", "/api/v1/auth/token", { body: { email, password }, ip: "10.8.0.1" });
const tokenOf = (url: string) => decodeURIComponent(new URL(url).pathname.split("/").pop()!);
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const email = (tag: string) => `${tag}-${Date.now()}-${Math.floor(Math.random() * 1e6)}@example.test`;

describe("invitations without a mail server (SMTP_URL unset)", () => {
  it("create an invited user and return the 24-hour link to the admin; the .eml is written; only the hash is stored", async () => {
    const before = Date.now();
    const address = email("invitee");
    const r = await invite(w.admin, { email: address, name: "Ivy Invitee", role: "agent" });
    expect(r.status, r.text).toBe(201);
    expect(r.body).toMatchObject({ email: address, role: "agent", invited: true, blocked: false });
    expect(r.body.inviteUrl).toMatch(/^http:\/\/localhost:3000\/setup\/[0-9a-f]{32}\.[A-Za-z0-9_-]{43}$/);
    const expires = new Date(r.body.inviteExpiresAt!).getTime();
    expect(expires - before).toBeGreaterThanOrEqual(24 * 3_600_000 - 1_000);
    expect(expires - before).toBeLessThanOrEqual(24 * 3_600_000 + 5_000);

    const token = tokenOf(r.body.inviteUrl!);
    const [row] = await q<{ purpose: string; token_hash: string }>(
      sql`select purpose::text, token_hash from one_time_tokens where user_id = ${r.body.id}`,
    );
    expect(row).toEqual({ purpose: "invite", token_hash: hashToken(token) });
    const [u] = await q<{ password_hash: string | null }>(sql`select password_hash from users where id = ${r.body.id}`);
    expect(u!.password_hash).toBeNull();
    const mails = fs
      .readdirSync(path.join(dataDir, "mail"))
      .map((f) => fs.readFileSync(path.join(dataDir, "mail", f), "utf8").replace(/=\r?\n/g, ""));
    expect(mails.some((m) => m.includes(address) && m.includes(r.body.inviteUrl!))).toBe(true);
    // Before redeeming, the invitee cannot sign in with anything.
    expect((await grant(address, "")).status).toBe(400);
    expect((await grant(address, CHOSEN)).status).toBe(401);
  });

  it("the link works once: it sets the password, signs in, and then answers 404", async () => {
    const address = email("once");
    const r = await invite(w.admin, { email: address, name: "Once", role: "customer" });
    const token = tokenOf(r.body.inviteUrl!);
    expect(await inspectSetupLink(token)).toMatchObject({
      email: address,
      purpose: "invite",
      orgName: expect.any(String),
    });
    const ok = await redeem(token);
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ email: address, org: expect.any(String) });
    const g = await grant(address, CHOSEN);
    expect(g.status).toBe(201);
    expect((await call(meRoute, "GET", "/api/v1/me", { token: g.body.token })).body).toMatchObject({
      id: r.body.id,
      role: "customer",
      mustChangePassword: false,
    });
    const again = await redeem(token, "another long passphrase");
    expect(again.status).toBe(404);
    expect(await inspectSetupLink(token)).toBeNull();
    expect((await grant(address, "another long passphrase")).status).toBe(401);
  });

  it("an expired invitation answers 404 and sets nothing", async () => {
    const r = await invite(w.admin, { email: email("late"), name: "Late", role: "customer" });
    await q(sql`update one_time_tokens set expires_at = now() - interval '1 second' where user_id = ${r.body.id}`);
    const token = tokenOf(r.body.inviteUrl!);
    expect(await inspectSetupLink(token)).toBeNull();
    expect((await redeem(token)).status).toBe(404);
    const [u] = await q<{ password_hash: string | null }>(sql`select password_hash from users where id = ${r.body.id}`);
    expect(u!.password_hash).toBeNull();
  });
});

describe("invitations through SMTP", () => {
  it("email the link and never return it", async () => {
    const smtp = await startSmtp();
    setProcessEnv({ SMTP_URL: smtp.url });
    try {
      const address = email("mailed");
      const r = await invite(w.admin, { email: address, name: "Mailed Person", role: "agent" });
      expect(r.status, r.text).toBe(201);
      expect(r.body).toMatchObject({ invited: true, inviteUrl: null, inviteExpiresAt: expect.any(String) });
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]!.to).toEqual([address]);
      const raw = smtp.mails[0]!.raw.replace(/=\r?\n/g, "");
      const link = /http:\/\/localhost:3000\/setup\/([0-9a-f]{32}\.[A-Za-z0-9_-]{43})/.exec(raw);
      expect(link).not.toBeNull();
      expect(raw).toMatch(/invited you/);
      expect((await redeem(link![1]!)).status).toBe(200);
      expect((await grant(address, CHOSEN)).status).toBe(201);
      const [audit] = await q<{ data: Record<string, unknown> }>(
        sql`select data from audit_events where entity_id = ${r.body.id} and action = 'user.created'`,
      );
      expect(audit!.data).toMatchObject({ invited: true, inviteEmailed: true });
      expect(JSON.stringify(audit)).not.toContain(link![1]!);
    } finally {
      setProcessEnv({ SMTP_URL: "" });
      await smtp.close();
    }
  });

  it("a mail server that is down answers 503 and creates nobody", async () => {
    setProcessEnv({ SMTP_URL: "smtp://127.0.0.1:9" });
    try {
      const address = email("undeliverable");
      const r = await invite(w.admin, { email: address, name: "Nobody", role: "agent" });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({
        code: "unavailable",
        message: expect.stringContaining("nothing was changed"),
      });
      expect(await q(sql`select id from users where email = ${address}`)).toHaveLength(0);
    } finally {
      setProcessEnv({ SMTP_URL: "" });
    }
  });
});

describe("POST /api/v1/users/:id/reset-password", () => {
  it("signs the user out, forces a password change, and the link sets a new password once", async () => {
    const u = await createUser(w.org, { role: "agent" });
    const cookie = await sessionCookie(u);
    const token = (await grant(u.email, u.password)).body.token as string;
    const r = await reset(w.admin, u.id);
    expect(r.status, r.text).toBe(200);
    expect(r.body).toEqual({
      purpose: "password_reset",
      resetUrl: expect.stringMatching(/\/setup\//),
      expiresAt: expect.any(String),
    });
    expect((await call(meRoute, "GET", "/api/v1/me", { cookie })).status).toBe(401);
    expect((await call(meRoute, "GET", "/api/v1/me", { token })).status).toBe(401);

    // Issue 18.13: the old password grants nothing any more, not even a token for the forced change.
    const g = await grant(u.email, u.password);
    expect(g.status).toBe(401);
    const [row] = await q<{ password_hash: string | null; must_change_password: boolean }>(
      sql`select password_hash, must_change_password from users where id = ${u.id}`,
    );
    expect(row).toEqual({ password_hash: null, must_change_password: true });
    // The admin still sees a pending reset, not an invitation, and a second reset is a reset again.
    const detail = await call(userRoute, "GET", `/api/v1/users/${u.id}`, {
      cookie: w.admin.cookie,
      params: { id: u.id },
    });
    expect(detail.body).toMatchObject({ invited: false, mustChangePassword: true });

    const link = tokenOf(r.body.resetUrl!);
    expect(await inspectSetupLink(link)).toMatchObject({ email: u.email, purpose: "password_reset" });
    expect((await redeem(link)).status).toBe(200);
    expect((await grant(u.email, u.password)).status).toBe(401);
    const after = await grant(u.email, CHOSEN);
    expect(after.status).toBe(201);
    expect((await call(meRoute, "GET", "/api/v1/me", { token: after.body.token })).body.mustChangePassword).toBe(false);
    expect((await redeem(link, "yet another passphrase")).status).toBe(404);
    const actions = await q<{ action: string }>(
      sql`select action from audit_events where entity_id = ${u.id} order by seq`,
    );
    expect(actions.map((a) => a.action)).toEqual(["user.password_reset", "user.password_set"]);
  });

  it("a second reset makes the first link useless", async () => {
    const u = await createUser(w.org, { role: "customer" });
    const first = await reset(w.admin, u.id);
    const second = await reset(w.admin, u.id);
    expect(second.body.purpose).toBe("password_reset");
    expect((await redeem(tokenOf(first.body.resetUrl!))).status).toBe(404);
    expect((await redeem(tokenOf(second.body.resetUrl!))).status).toBe(200);
  });

  it("for someone who never chose a password, sends the invitation again (the old one stops working)", async () => {
    const created = await invite(w.admin, { email: email("resend"), name: "Resend", role: "customer" });
    const r = await reset(w.admin, created.body.id);
    expect(r.status).toBe(200);
    expect(r.body.purpose).toBe("invite");
    expect((await redeem(tokenOf(created.body.inviteUrl!))).status).toBe(404);
    expect((await redeem(tokenOf(r.body.resetUrl!))).status).toBe(200);
    const [u] = await q<{ must_change_password: boolean }>(
      sql`select must_change_password from users where id = ${created.body.id}`,
    );
    expect(u!.must_change_password).toBe(false);
  });

  it("emails the link through SMTP and does not return it", async () => {
    const smtp = await startSmtp();
    setProcessEnv({ SMTP_URL: smtp.url });
    try {
      const u = await createUser(w.org, { role: "customer" });
      const r = await reset(w.admin, u.id);
      expect(r.status).toBe(200);
      expect(r.body.resetUrl).toBeNull();
      expect(smtp.mails.map((m) => m.to)).toEqual([[u.email]]);
      expect(smtp.mails[0]!.raw.replace(/=\r?\n/g, "")).toMatch(/\/setup\/[0-9a-f]{32}\./);
    } finally {
      setProcessEnv({ SMTP_URL: "" });
      await smtp.close();
    }
  });

  it("is for admins only; another org's user is 404 and keeps their session", async () => {
    for (const a of [w.agent, w.customer]) expect((await reset(a, w.agent2.id)).status).toBe(403);
    // Not for your own account: that is POST /me/password.
    const own = await reset(w.admin, w.admin.id);
    expect(own.status).toBe(409);
    expect(own.body.error.details).toEqual({ reason: "own_account" });
    const foreign = await reset(w.admin, other.agent.id);
    expect(foreign.status).toBe(404);
    expect((await call(meRoute, "GET", "/api/v1/me", { cookie: other.agent.cookie })).status).toBe(200);
    expect(await q(sql`select id from one_time_tokens where user_id = ${other.agent.id}`)).toHaveLength(0);
  });
});
