import { sql } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { POST as grant } from "../helpers/http";
import { GET as me } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { createOrg, createUser, type TestOrg, type TestUser } from "../helpers/factories";
import { call } from "../helpers/http";

let org: TestOrg, agent: TestUser;

beforeAll(async () => {
  org = await createOrg();
  agent = await createUser(org, { role: "agent" });
});
beforeEach(() => resetLimitersForTests());

const grantAs = (body: unknown, ip = "10.0.0.1") => call(grant, "POST", "/api/v1/auth/token", { body, ip });

describe("POST /api/v1/auth/token", () => {
  it("grants a bearer token that authenticates GET /me", async () => {
    const r = await grantAs({ email: agent.email.toUpperCase(), password: agent.password });
    expect(r.status).toBe(201);
    expect(r.body.token).toMatch(/^bcn_[0-9a-f]{32}_/);
    expect(new Date(r.body.expiresAt).getTime()).toBeGreaterThan(Date.now() + 29 * 86_400_000);
    const m = await call(me, "GET", "/api/v1/me", { token: r.body.token });
    expect(m.status).toBe(200);
    expect(m.body).toMatchObject({ id: agent.id, email: agent.email, role: "agent", orgId: org.id });
  });

  it("grants for the org's maximum token lifetime when that is shorter than 30 days (issue 18.4)", async () => {
    const short = await createOrg();
    const u = await createUser(short, { role: "agent" });
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update orgs set settings = settings || '{"tokenMaxDays": 7}'::jsonb where id = ${short.id}`),
    );
    const before = Date.now();
    const r = await grantAs({ email: u.email, password: u.password });
    expect(r.status).toBe(201);
    const expires = new Date(r.body.expiresAt).getTime();
    expect(expires).toBeGreaterThanOrEqual(before + 7 * 86_400_000 - 1_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 7 * 86_400_000);
    // The token works, and the row holds the same expiry the answer named.
    expect((await call(me, "GET", "/api/v1/me", { token: r.body.token })).status).toBe(200);
    const [row] = (
      await unsafeWithSystem((tx) =>
        tx.execute<{ expires_at: string }>(sql`select expires_at::text from api_tokens where user_id = ${u.id}`),
      )
    ).rows;
    expect(new Date(row!.expires_at).getTime()).toBe(expires);
  });

  it("stores only a hash of the token", async () => {
    const r = await grantAs({ email: agent.email, password: agent.password });
    const rows = await unsafeWithSystem((tx) =>
      tx.execute<{ token_hash: string }>(sql`select token_hash from api_tokens where user_id = ${agent.id}`),
    );
    expect(rows.rows.length).toBeGreaterThan(0);
    for (const row of rows.rows) {
      expect(row.token_hash).toMatch(/^[0-9a-f]{64}$/);
      expect(row.token_hash).not.toContain(r.body.token.slice(-20));
    }
  });

  it("answers unknown email and wrong password identically", async () => {
    const wrong = await grantAs({ email: agent.email, password: "not the password" });
    const unknown = await grantAs({ email: `nobody-${agent.email}`, password: "not the password" });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body).toEqual(unknown.body);
    expect(wrong.body.error.code).toBe("unauthenticated");
  });

  it("refuses a blocked user with the same 401", async () => {
    const blocked = await createUser(org, { role: "agent", blocked: true });
    const r = await grantAs({ email: blocked.email, password: blocked.password });
    expect(r.status).toBe(401);
    expect(r.body.error.message).toBe("email or password is incorrect");
  });

  it("rejects malformed bodies with 400 and never 500", async () => {
    for (const body of [
      "{not json",
      "[]",
      JSON.stringify({ email: 1, password: [] }),
      JSON.stringify({ email: "a@b.c" }),
      JSON.stringify({ email: "a@b.c", password: "x", extra: 1 }),
      '{"email":"a@b.c","password":"x","__proto__":{"admin":true}}',
      '{"email":"a@b.c","password":"x","constructor":{"prototype":{"admin":true}}}',
    ]) {
      const r = await call(grant, "POST", "/api/v1/auth/token", { body });
      expect(r.status, body).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
      expect(r.headers.get("x-request-id")).toBeTruthy();
    }
  });

  it("throttles failures per email+IP: the 6th attempt in 5 minutes is 429 with Retry-After, even with the right password", async () => {
    const u = await createUser(org, { role: "customer" });
    for (let i = 0; i < 5; i++)
      expect((await grantAs({ email: u.email, password: "wrong" }, "10.1.1.1")).status).toBe(401);
    const limited = await grantAs({ email: u.email, password: u.password }, "10.1.1.1");
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(Number(limited.headers.get("retry-after"))).toBeLessThanOrEqual(300);
    expect(limited.headers.get("ratelimit-limit")).toBe("5");
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    // Another IP is a different budget.
    expect((await grantAs({ email: u.email, password: u.password }, "10.1.1.2")).status).toBe(201);
  });

  it("a success clears the email+IP failure budget", async () => {
    const u = await createUser(org, { role: "customer" });
    for (let i = 0; i < 4; i++) await grantAs({ email: u.email, password: "wrong" }, "10.2.2.2");
    expect((await grantAs({ email: u.email, password: u.password }, "10.2.2.2")).status).toBe(201);
    for (let i = 0; i < 4; i++)
      expect((await grantAs({ email: u.email, password: "wrong" }, "10.2.2.2")).status).toBe(401);
  });

  it("throttles failures per IP across emails (100 per day)", async () => {
    const ip = "10.3.3.3";
    // Naming an org keeps each attempt to one argon2 verification (without one, sign-in always does
    // MAX_CANDIDATES of them: signin-equal-work.test.ts); the budget counts failures all the same.
    for (let i = 0; i < 100; i++)
      await grantAs({ email: `x${i}@nowhere.test`, password: "wrong", org: "no-such-org" }, ip);
    const r = await grantAs({ email: agent.email, password: agent.password }, ip);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(300);
  }, 60_000);

  it("asks for the org when the email has matching accounts in two orgs", async () => {
    const other = await createOrg();
    const shared = `shared-${Date.now()}@example.test`;
    await createUser(org, { email: shared });
    await createUser(other, { email: shared });
    const ambiguous = await grantAs({ email: shared, password: agent.password }, "10.4.4.4");
    expect(ambiguous.status).toBe(401);
    expect(ambiguous.body.error.details).toEqual({ reason: "org_required" });
    const chosen = await grantAs({ email: shared, password: agent.password, org: other.slug }, "10.4.4.4");
    expect(chosen.status).toBe(201);
    const m = await call(me, "GET", "/api/v1/me", { token: chosen.body.token });
    expect(m.body.orgId).toBe(other.id);
  });
});

describe("timing", () => {
  it("an unknown email costs the same argon2 work as a wrong password", async () => {
    const time = async (email: string) => {
      const t = performance.now();
      await grantAs({ email, password: "definitely wrong" }, `10.7.${Math.floor(Math.random() * 250)}.1`);
      return performance.now() - t;
    };
    await time(agent.email); // warm-up (the dummy hash is computed once)
    await time("warmup@nowhere.test");
    let known = 0;
    let unknown = 0;
    for (let i = 0; i < 6; i++) {
      known += await time(agent.email);
      unknown += await time(`nobody-${i}@nowhere.test`);
    }
    // Same order of magnitude: without the dummy verification the unknown email would be ~100x faster.
    expect(unknown / known).toBeGreaterThan(0.5);
    expect(unknown / known).toBeLessThan(2);
  });
});
