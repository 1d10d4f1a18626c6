import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import pino from "pino";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST as createRoute } from "../helpers/http";
import { PATCH as patchRoute } from "../helpers/http";
import { POST as resetRoute } from "../helpers/http";
import { POST as revokeRoute } from "../helpers/http";
import { POST as setupLinkRoute } from "../helpers/http";
import { POST as grantRoute } from "../helpers/http";
import { POST as passwordRoute } from "../helpers/http";
import { DELETE as disableRoute } from "../helpers/http";
import { POST as setupRoute } from "../helpers/http";
import { POST as confirmRoute } from "../helpers/http";
import { POST as regenerateRoute } from "../helpers/http";
import { PUT as securityRoute } from "../helpers/http";
import { authOptions } from "../../src/server/auth/nextauth";
import { base32Decode, totp } from "../../src/server/auth/totp";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { logger, setLogger } from "../../src/server/observability/logger";
import { sessionCookie } from "../helpers/factories";
import { createWorld, type World } from "../helpers/world";
import { call, reissuedSession } from "../helpers/http";

// Every account-security flow, end to end, with every log line captured: afterwards no log line
// and no audit row may contain a password, a TOTP secret, a recovery code or a one-time link token.

const raw: string[] = [];
const original = logger();
let w: World;

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "beacon-secrets-")), SMTP_URL: "" });
  // No redaction here: the code itself must never hand a secret to the logger.
  setLogger(
    pino(
      { level: "trace" },
      new Writable({
        write(chunk, _enc, cb) {
          raw.push(String(chunk));
          cb();
        },
      }),
    ),
  );
  w = await createWorld();
});
afterAll(() => setLogger(original));

const codeAt = (secret: string, offsetSteps = 0) => totp(base32Decode(secret), Date.now() + offsetSteps * 30_000);
const linkToken = (url: string) => decodeURIComponent(new URL(url).pathname.split("/").pop()!);
const ok = <T extends { status: number; text: string }>(r: T, status = 200): T => {
  expect(r.status, r.text).toBe(status);
  return r;
};

describe("no secret reaches a log line or an audit row", () => {
  it("across create, invite, reset, password change, two-factor and sign-in", async () => {
    const secrets: string[] = [];
    const admin = { cookie: w.admin.cookie };
    const grant = (body: Record<string, unknown>, ip = "10.40.0.1") =>
      call(grantRoute, "POST", "/api/v1/auth/token", { body, ip });

    // Users created with a password and by invitation; a reset; links redeemed.
    const p1 = "first secret passphrase alpha";
    const created = ok(
      await call(createRoute, "POST", "/api/v1/users", {
        ...admin,
        body: { email: "key.holder@example.test", name: "Keeper", role: "agent", password: p1 },
      }),
      201,
    );
    const invited = ok(
      await call(createRoute, "POST", "/api/v1/users", {
        ...admin,
        body: { email: "invitee.person@example.test", name: "Invitee", role: "customer" },
      }),
      201,
    );
    const t1 = linkToken(invited.body.inviteUrl!);
    const p2 = "second secret passphrase bravo";
    ok(await call(setupLinkRoute, "POST", "/api/v1/auth/setup", { body: { token: t1, password: p2 } }));
    const reset = ok(
      await call(resetRoute, "POST", `/api/v1/users/${created.body.id}/reset-password`, {
        ...admin,
        params: { id: created.body.id },
      }),
    );
    const t2 = linkToken(reset.body.resetUrl!);
    const p3 = "third secret passphrase charlie";
    ok(await call(setupLinkRoute, "POST", "/api/v1/auth/setup", { body: { token: t2, password: p3 } }));
    secrets.push(p1, p2, p3, t1, t2);

    // The agent changes their password and turns on two-factor.
    const agent = { id: created.body.id as string, orgId: w.org.id, sessionVersion: 3 };
    let cookie = await sessionCookie(agent);
    const p4 = "fourth secret passphrase delta";
    ok(
      await call(passwordRoute, "POST", "/api/v1/me/password", {
        cookie,
        body: { currentPassword: p3, newPassword: p4 },
      }),
    );
    cookie = await sessionCookie({ ...agent, sessionVersion: 4 });
    const setup = ok(await call(setupRoute, "POST", "/api/v1/me/2fa/setup", { cookie }));
    const secret = setup.body.secret as string;
    const confirm = ok(
      await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", { cookie, body: { code: codeAt(secret) } }),
    );
    cookie = reissuedSession(confirm);
    const codes = confirm.body.recoveryCodes as string[];
    secrets.push(p4, secret, ...codes);

    // Sign-ins: TOTP, a recovery code, a wrong code, a wrong password, the form's authorize().
    const email = "key.holder@example.test";
    const g1 = ok(await grant({ email, password: p4, code: codeAt(secret, 1) }), 201);
    ok(await grant({ email, password: p4, code: codes[0] }), 201);
    expect((await grant({ email, password: p4, code: codes[0] })).status).toBe(401);
    const wrongPassword = "wrong secret passphrase echo";
    expect((await grant({ email, password: wrongPassword, code: codes[1] })).status).toBe(401);
    const provider = authOptions().providers[0] as unknown as {
      options: { authorize: (c: Record<string, string>, r: unknown) => Promise<unknown> };
    };
    expect(await provider.options.authorize({ email, password: p4, code: codes[2]! }, { headers: {} })).toMatchObject({
      id: agent.id,
    });
    secrets.push(g1.body.token, wrongPassword);

    // New recovery codes, then two-factor off with a recovery code.
    const regen = ok(
      await call(regenerateRoute, "POST", "/api/v1/me/2fa/recovery-codes", { cookie, body: { code: codes[3] } }),
    );
    const codes2 = regen.body.recoveryCodes as string[];
    secrets.push(...codes2);
    ok(await call(disableRoute, "DELETE", "/api/v1/me/2fa", { cookie, body: { password: p4, code: codes2[0] } }), 204);

    // Admin-side changes and the org requirement (the admin needs two-factor first).
    ok(
      await call(patchRoute, "PATCH", `/api/v1/users/${agent.id}`, {
        ...admin,
        params: { id: agent.id },
        body: { role: "admin", blocked: true },
      }),
    );
    ok(
      await call(revokeRoute, "POST", `/api/v1/users/${agent.id}/revoke-sessions`, {
        ...admin,
        params: { id: agent.id },
      }),
      204,
    );
    const adminSetup = ok(await call(setupRoute, "POST", "/api/v1/me/2fa/setup", admin));
    const adminConfirm = ok(
      await call(confirmRoute, "POST", "/api/v1/me/2fa/confirm", {
        ...admin,
        body: { code: codeAt(adminSetup.body.secret) },
      }),
    );
    admin.cookie = reissuedSession(adminConfirm);
    ok(await call(securityRoute, "PUT", "/api/v1/org/security", { ...admin, body: { require2fa: true } }));
    secrets.push(adminSetup.body.secret);

    const audit = await unsafeWithSystem((tx) =>
      tx.execute(sql`select * from audit_events where org_id = ${w.org.id} order by seq`),
    );
    const stored = await unsafeWithSystem((tx) =>
      tx.execute<{ password_hash: string; totp_secret: string | null }>(
        sql`select password_hash, totp_secret from users where org_id = ${w.org.id} and password_hash is not null`,
      ),
    );
    const auditText = JSON.stringify(audit.rows);
    const logText = raw.join("");
    // The flows above did log and audit: the assertions below cannot pass for want of text.
    expect(audit.rows.length).toBeGreaterThan(15);
    expect(logText).toMatch(/"outcome":"success"/);
    expect(logText).toMatch(/"outcome":"bad_code"|"outcome":"bad_credentials"/);

    const forms = (s: string) => [s, s.replace(/-/g, ""), s.toUpperCase()];
    const forbidden = [
      ...secrets.flatMap(forms),
      ...stored.rows.map((r) => r.password_hash),
      ...stored.rows.map((r) => r.totp_secret).filter((s): s is string => s !== null),
    ];
    for (const s of forbidden) {
      expect(auditText.includes(s), `audit contains ${s.slice(0, 8)}…`).toBe(false);
      expect(logText.includes(s), `logs contain ${s.slice(0, 8)}…`).toBe(false);
    }
    expect(auditText).not.toContain("$argon2");
    expect(logText).not.toContain("$argon2");
  });
});
