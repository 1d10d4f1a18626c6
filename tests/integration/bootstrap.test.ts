import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { hashToken, mintLinkToken } from "../../src/server/auth/api-tokens";
import { verifyPassword } from "../../src/server/auth/password";
import { verifyCredentials } from "../../src/server/auth/verify-credentials";
import { completeSetup, inspectSetupLink } from "../../src/server/auth/setup-link";
import { bootstrapOrg, slugFromName } from "../../src/server/provisioning/bootstrap-org";
import { POST as setupRoute } from "../helpers/http";
import { call } from "../helpers/http";
import { createOrg, createUser } from "../helpers/factories";

const NEW_PASSWORD = "a long enough new password";
let n = 0;
const fresh = (over: Partial<Parameters<typeof bootstrapOrg>[0]> = {}) => {
  n += 1;
  return bootstrapOrg({
    name: `Bootstrap Co ${n}`,
    adminEmail: `Owner${n}@Example.com`,
    timezone: "Europe/Paris",
    ...over,
  });
};
const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const otherOrgToken = (token: string, orgId: string) => `${orgId.replace(/-/g, "")}.${token.split(".")[1]}`;

describe("bootstrapOrg", () => {
  it("creates the org, a password-less admin, default SLA policies and a hashed 24-hour setup token", async () => {
    const before = Date.now();
    const r = await fresh({ name: "Initech Europe", adminName: "Peter Gibbons" });
    expect(r.org).toMatchObject({ name: "Initech Europe", slug: "initech-europe", timezone: "Europe/Paris" });
    expect(r.admin.email).toBe(`owner${n}@example.com`);
    expect(r.setupUrl).toBe(`http://localhost:3000/setup/${r.setupToken}`);
    expect(r.expiresAt.getTime() - before).toBeGreaterThanOrEqual(24 * 3_600_000 - 1_000);
    expect(r.expiresAt.getTime() - before).toBeLessThanOrEqual(24 * 3_600_000 + 5_000);

    const [admin] = await q<{ role: string; password_hash: string | null; name: string; email: string }>(
      sql`select role::text, password_hash, name, email from users where org_id = ${r.org.id}`,
    );
    expect(admin).toEqual({
      role: "admin",
      password_hash: null,
      name: "Peter Gibbons",
      email: `owner${n}@example.com`,
    });
    const tokens = await q<{ purpose: string; token_hash: string; used_at: Date | null; expires_at: Date }>(
      sql`select purpose::text, token_hash, used_at, expires_at from one_time_tokens where org_id = ${r.org.id}`,
    );
    expect(tokens).toHaveLength(1);
    expect(tokens[0]).toMatchObject({ purpose: "setup", token_hash: hashToken(r.setupToken), used_at: null });
    // Only the hash is stored.
    const dump = JSON.stringify(await q(sql`select * from one_time_tokens where org_id = ${r.org.id}`));
    expect(dump).not.toContain(r.setupToken.split(".")[1]);
    const policies = await q<{ priority: string; bh: boolean; tz: string | null }>(sql`
      select p.priority::text, p.business_hours as bh, c.timezone as tz from sla_policies p
      left join calendars c on c.org_id = p.org_id and c.id = p.calendar_id where p.org_id = ${r.org.id} order by p.priority`);
    expect(policies).toEqual([
      { priority: "low", bh: true, tz: "Europe/Paris" },
      { priority: "normal", bh: true, tz: "Europe/Paris" },
      { priority: "high", bh: false, tz: null },
      { priority: "urgent", bh: false, tz: null },
    ]);
    const audit = await q<{ seq: number; action: string; actor_id: string | null; data: Record<string, unknown> }>(
      sql`select seq::int, action, actor_id, data from audit_events where org_id = ${r.org.id} order by seq`,
    );
    expect(audit).toEqual([
      {
        seq: 1,
        action: "org.bootstrapped",
        actor_id: null,
        data: expect.objectContaining({ slug: "initech-europe", adminUserId: r.admin.id }),
      },
    ]);
    expect(JSON.stringify(audit)).not.toContain(r.setupToken);
    // The admin cannot sign in before choosing a password.
    await expect(
      verifyCredentials({ email: r.admin.email, password: "", ip: "10.1.1.1", via: "api" }),
    ).rejects.toMatchObject({ code: "unauthenticated" });
  });

  it("answers conflict when the slug exists (case-insensitively), creating nothing", async () => {
    await fresh({ slug: "taken-slug" });
    const orgsBefore = await q<{ n: number }>(sql`select count(*)::int as n from orgs`);
    await expect(fresh({ name: "Taken Slug" })).rejects.toMatchObject({
      code: "conflict",
      message: expect.stringContaining('"taken-slug"'),
    });
    await expect(fresh({ slug: "TAKEN-SLUG" })).rejects.toMatchObject({ code: "conflict" });
    expect(await q(sql`select count(*)::int as n from orgs`)).toEqual(orgsBefore);
  });

  it("validates its input", async () => {
    await expect(fresh({ adminEmail: "not-an-email" })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(fresh({ timezone: "Mars/Olympus_Mons" })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(fresh({ slug: "-bad-" })).rejects.toMatchObject({ code: "validation_failed" });
    await expect(fresh({ name: "!!!" })).rejects.toMatchObject({
      code: "validation_failed",
      message: expect.stringContaining("slug"),
    });
    expect(slugFromName("Société Générale, Inc.")).toBe("societe-generale-inc");
    expect(slugFromName("???")).toBeNull();
  });
});

describe("completeSetup", () => {
  it("sets a password that signs in, clears mustChangePassword and bumps sessionVersion", async () => {
    const r = await fresh();
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update users set must_change_password = true where org_id = ${r.org.id}`),
    );
    expect(await inspectSetupLink(r.setupToken)).toMatchObject({ email: r.admin.email, orgName: r.org.name });
    expect(await completeSetup({ token: r.setupToken, password: NEW_PASSWORD })).toEqual({
      email: r.admin.email,
      org: r.org.slug,
    });
    const [u] = await q<{ password_hash: string; must_change_password: boolean; session_version: number }>(
      sql`select password_hash, must_change_password, session_version from users where id = ${r.admin.id}`,
    );
    expect(await verifyPassword(u!.password_hash, NEW_PASSWORD)).toBe(true);
    expect(u).toMatchObject({ must_change_password: false, session_version: 2 });
    const signedIn = await verifyCredentials({
      email: r.admin.email,
      password: NEW_PASSWORD,
      ip: "10.1.1.2",
      via: "api",
    });
    expect(signedIn).toMatchObject({ userId: r.admin.id, orgId: r.org.id, role: "admin" });
    const [t] = await q<{ used_at: Date | null }>(sql`select used_at from one_time_tokens where org_id = ${r.org.id}`);
    expect(t!.used_at).not.toBeNull();
    const audit = await q<{ action: string; actor_id: string | null }>(
      sql`select action, actor_id from audit_events where org_id = ${r.org.id} order by seq`,
    );
    expect(audit).toEqual([
      { action: "org.bootstrapped", actor_id: null },
      { action: "user.password_set", actor_id: r.admin.id },
    ]);
    expect(await withTenant(r.org.id, (tx) => verifyChain(tx, r.org.id))).toMatchObject({ valid: true, checked: 2 });
  });

  it("works once: a used link answers 404 and leaves the password alone", async () => {
    const r = await fresh();
    await completeSetup({ token: r.setupToken, password: NEW_PASSWORD });
    expect(await inspectSetupLink(r.setupToken)).toBeNull();
    await expect(completeSetup({ token: r.setupToken, password: "an attacker's password" })).rejects.toMatchObject({
      code: "not_found",
      message: "this link is invalid or has expired",
    });
    const [u] = await q<{ password_hash: string }>(sql`select password_hash from users where id = ${r.admin.id}`);
    expect(await verifyPassword(u!.password_hash, NEW_PASSWORD)).toBe(true);
  });

  it("concurrent redemptions: exactly one wins", async () => {
    const r = await fresh();
    const results = await Promise.allSettled([
      completeSetup({ token: r.setupToken, password: "first concurrent password" }),
      completeSetup({ token: r.setupToken, password: "second concurrent password" }),
    ]);
    expect(results.filter((x) => x.status === "fulfilled")).toHaveLength(1);
    expect(results.filter((x) => x.status === "rejected").map((x) => (x as PromiseRejectedResult).reason.code)).toEqual(
      ["not_found"],
    );
  });

  it("an expired link answers 404", async () => {
    const r = await fresh();
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update one_time_tokens set expires_at = now() - interval '1 second' where org_id = ${r.org.id}`),
    );
    expect(await inspectSetupLink(r.setupToken)).toBeNull();
    await expect(completeSetup({ token: r.setupToken, password: NEW_PASSWORD })).rejects.toMatchObject({
      code: "not_found",
    });
    const [u] = await q<{ password_hash: string | null }>(
      sql`select password_hash from users where id = ${r.admin.id}`,
    );
    expect(u!.password_hash).toBeNull();
  });

  it("a malformed token answers 400 and an unknown well-formed one 404", async () => {
    await expect(completeSetup({ token: "not-a-token", password: NEW_PASSWORD })).rejects.toMatchObject({
      code: "validation_failed",
    });
    const r = await fresh();
    await expect(completeSetup({ token: r.setupToken.slice(0, -1), password: NEW_PASSWORD })).rejects.toMatchObject({
      code: "validation_failed",
    });
    await expect(completeSetup({ token: mintLinkToken(r.org.id).token, password: NEW_PASSWORD })).rejects.toMatchObject(
      { code: "not_found" },
    );
  });

  it("a token of org A presented with another org's id is not found", async () => {
    const a = await fresh();
    const b = await fresh();
    await expect(
      completeSetup({ token: otherOrgToken(a.setupToken, b.org.id), password: NEW_PASSWORD }),
    ).rejects.toMatchObject({ code: "not_found" });
    await expect(
      completeSetup({
        token: otherOrgToken(a.setupToken, "00000000-0000-4000-8000-000000000000"),
        password: NEW_PASSWORD,
      }),
    ).rejects.toMatchObject({
      code: "not_found",
    });
    const hashes = await q<{ password_hash: string | null }>(
      sql`select password_hash from users where id in (${a.admin.id}, ${b.admin.id})`,
    );
    expect(hashes.map((h) => h.password_hash)).toEqual([null, null]);
    // A's own link still works afterwards.
    await expect(completeSetup({ token: a.setupToken, password: NEW_PASSWORD })).resolves.toMatchObject({
      email: a.admin.email,
    });
  });

  // Reset links are redeemed here too (users-links.test.ts); what refuses both links is the block.
  it("refuses every link of a blocked user, a password-reset link as much as a setup link: 404, no password set", async () => {
    const org = await createOrg();
    const user = await createUser(org, { role: "agent", blocked: true });
    const reset = mintLinkToken(org.id);
    const setup = mintLinkToken(org.id);
    await unsafeWithSystem((tx) =>
      tx.execute(sql`insert into one_time_tokens (org_id, user_id, purpose, token_hash, expires_at) values
        (${org.id}, ${user.id}, 'password_reset', ${reset.hash}, now() + interval '1 hour'),
        (${org.id}, ${user.id}, 'setup', ${setup.hash}, now() + interval '1 hour')`),
    );
    await expect(completeSetup({ token: reset.token, password: NEW_PASSWORD })).rejects.toMatchObject({
      code: "not_found",
    });
    await expect(completeSetup({ token: setup.token, password: NEW_PASSWORD })).rejects.toMatchObject({
      code: "not_found",
    });
    const [u] = await q<{ password_hash: string | null }>(sql`select password_hash from users where id = ${user.id}`);
    expect(await verifyPassword(u!.password_hash!, NEW_PASSWORD)).toBe(false);
  });
});

describe("POST /api/v1/auth/setup", () => {
  const post = (body: unknown) => call(setupRoute, "POST", "/api/v1/auth/setup", { body });

  it("answers 200 with the email, then 404 for the same link", async () => {
    const r = await fresh();
    const ok = await post({ token: r.setupToken, password: NEW_PASSWORD });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-type")).toMatch(/application\/json/);
    expect(ok.body).toEqual({ email: r.admin.email, org: r.org.slug });
    expect(ok.text).not.toContain(NEW_PASSWORD);
    const again = await post({ token: r.setupToken, password: NEW_PASSWORD });
    expect(again.status).toBe(404);
    expect(again.body).toEqual({ error: { code: "not_found", message: "this link is invalid or has expired" } });
  });

  it("answers errors in the SPEC shape", async () => {
    const r = await fresh();
    const short = await post({ token: r.setupToken, password: "short" });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe("validation_failed");
    expect(short.body.error.details.issues).toContainEqual(expect.objectContaining({ in: "body", path: "password" }));
    const malformed = await post({ token: "garbage", password: NEW_PASSWORD });
    expect(malformed.status).toBe(400);
    expect(malformed.body).toMatchObject({ error: { code: "validation_failed", message: expect.any(String) } });
    const expiredOrg = await fresh();
    await unsafeWithSystem((tx) =>
      tx.execute(
        sql`update one_time_tokens set expires_at = now() - interval '1 minute' where org_id = ${expiredOrg.org.id}`,
      ),
    );
    const expired = await post({ token: expiredOrg.setupToken, password: NEW_PASSWORD });
    expect(expired.status).toBe(404);
    expect(expired.body).toEqual({ error: { code: "not_found", message: "this link is invalid or has expired" } });
    const extra = await post({ token: r.setupToken, password: NEW_PASSWORD, role: "admin" });
    expect(extra.status).toBe(400);
    const notJson = await call(setupRoute, "POST", "/api/v1/auth/setup", {
      body: "token=x",
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(notJson.status).toBe(415);
    expect(notJson.body.error.code).toBe("unsupported_media_type");
    // None of the failures spent the link.
    expect((await post({ token: r.setupToken, password: NEW_PASSWORD })).status).toBe(200);
  });
});
