import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { POST as setupRoute } from "../../src/app/api/v1/auth/setup/route";
import { POST as passwordRoute } from "../../src/app/api/v1/me/password/route";
import { POST as createRoute } from "../../src/app/api/v1/users/route";
import { POST as resetRoute } from "../../src/app/api/v1/users/[id]/reset-password/route";
import { COMMON_PASSWORDS } from "../../src/server/auth/common-passwords";
import { isCommonPassword } from "../../src/server/auth/password-policy";
import { setProcessEnv } from "../../src/server/env";
import { bootstrapOrg } from "../../src/server/orgs/bootstrap-org";
import { createUser, sessionCookie } from "../helpers/factories";
import { createWorld, type World } from "../helpers/world";
import { call } from "../helpers/http";

// One rule for every new password: 12–1024 characters and not among the most common leaked
// passwords (case-insensitively), with a 400 that names the field and says why.

let w: World;
beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: fs.mkdtempSync(path.join(os.tmpdir(), "beacon-pw-")), SMTP_URL: "" });
  w = await createWorld();
});

const COMMON_LONG = ["password1234", "PassWord1234", "QWERTYUIOP123", "1qaz2wsx3edc", "qwerty123456", "iloveyou1234"];
const issuesOf = (body: { error: { details?: { issues?: { path: string; message: string }[] } } }) => body.error.details?.issues ?? [];

describe("the common-password list", () => {
  it("ships the top 10,000 leaked passwords plus the longer ones, lowercased and unique", () => {
    expect(COMMON_PASSWORDS.length).toBeGreaterThanOrEqual(10_000);
    expect(COMMON_PASSWORDS.slice(0, 5)).toEqual(["123456", "password", "12345678", "qwerty", "123456789"]);
    expect(new Set(COMMON_PASSWORDS).size).toBe(COMMON_PASSWORDS.length);
    expect(COMMON_PASSWORDS.every((p) => p === p.toLowerCase())).toBe(true);
    expect(COMMON_PASSWORDS.filter((p) => p.length >= 12).length).toBeGreaterThan(300);
  });

  it("matches case-insensitively and leaves ordinary long passphrases alone", () => {
    for (const p of COMMON_LONG) expect(isCommonPassword(p), p).toBe(true);
    for (const p of ["correct horse battery staple", "my cat eats lasagne on tuesdays", "tr0ub4dor&3-extended"]) expect(isCommonPassword(p), p).toBe(false);
  });
});

describe("every way to set a password applies the rule", () => {
  it("setup and invitation links (POST /auth/setup)", async () => {
    const r = await bootstrapOrg({ name: `Policy Co ${Date.now()}`, adminEmail: `owner-${Date.now()}@example.test` });
    for (const [password, message] of [
      ["short one", /at least 12/],
      ["x".repeat(1025), /at most 1024/],
      ["Password1234", /most common leaked passwords/],
    ] as const) {
      const res = await call(setupRoute, "POST", "/api/v1/auth/setup", { body: { token: r.setupToken, password } });
      expect(res.status, password).toBe(400);
      expect(res.body.error.code).toBe("validation_failed");
      expect(issuesOf(res.body)).toEqual([expect.objectContaining({ path: "password", message: expect.stringMatching(message) })]);
    }
    // The refused attempts did not spend the link.
    expect((await call(setupRoute, "POST", "/api/v1/auth/setup", { body: { token: r.setupToken, password: "x".repeat(1024) } })).status).toBe(200);
  });

  it("password change (POST /me/password)", async () => {
    const u = await createUser(w.org, { role: "agent" });
    const cookie = await sessionCookie(u);
    for (const newPassword of COMMON_LONG) {
      const res = await call(passwordRoute, "POST", "/api/v1/me/password", { cookie, body: { currentPassword: u.password, newPassword } });
      expect(res.status, newPassword).toBe(400);
      expect(issuesOf(res.body)).toEqual([expect.objectContaining({ path: "newPassword", message: expect.stringMatching(/most common leaked/) })]);
    }
    const ok = await call(passwordRoute, "POST", "/api/v1/me/password", { cookie, body: { currentPassword: u.password, newPassword: "an uncommon passphrase here" } });
    expect(ok.status).toBe(200);
  });

  it("admin-created users (POST /users)", async () => {
    const res = await call(createRoute, "POST", "/api/v1/users", {
      cookie: w.admin.cookie,
      body: { email: `common-${Date.now()}@example.test`, name: "Common", role: "agent", password: "qwerty123456" },
    });
    expect(res.status).toBe(400);
    expect(issuesOf(res.body)).toEqual([expect.objectContaining({ path: "password", message: expect.stringMatching(/most common leaked/) })]);
  });

  it("password-reset links (redeemed at POST /auth/setup)", async () => {
    const u = await createUser(w.org, { role: "customer" });
    const r = await call(resetRoute, "POST", `/api/v1/users/${u.id}/reset-password`, { cookie: w.admin.cookie, params: { id: u.id } });
    const token = decodeURIComponent(new URL(r.body.resetUrl).pathname.split("/").pop()!);
    const refused = await call(setupRoute, "POST", "/api/v1/auth/setup", { body: { token, password: "1qaz2wsx3edc" } });
    expect(refused.status).toBe(400);
    expect((await call(setupRoute, "POST", "/api/v1/auth/setup", { body: { token, password: "a fine new passphrase" } })).status).toBe(200);
  });
});
