import { randomInt } from "node:crypto";
import net from "node:net";
import { sql } from "drizzle-orm";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { runScript, type ScriptRun } from "../helpers/run-script";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { completeSetup, inspectSetupLink } from "../../src/server/auth/setup-link";
import {
  assertSecondFactorAllowed,
  assertSignInAllowed,
  recordSecondFactorFailure,
  recordSignInFailure,
} from "../../src/server/auth/signin-throttle";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";

// The runbook's operator procedures, run as the operator runs them: the npm scripts as child
// processes against this test's database (and the machine's Redis).

const REDIS = "redis://127.0.0.1:6379";

function script(file: string, args: string[], env: Record<string, string | undefined> = {}): Promise<ScriptRun> {
  return runScript(file, args, { env, drop: ["BEACON_EMBEDDED_DB", "npm_execpath", "REDIS_URL"] });
}

const tokenIn = (out: string) => decodeURIComponent(/\/setup\/(\S+)/.exec(out)?.[1] ?? "");
const count = async (q: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<{ n: number }>(q))).rows[0]!.n;

describe("npm run bootstrap -- --reissue <slug>", () => {
  it("issues a fresh single-use link for the admin who never set a password, revokes the old one, creates no org", async () => {
    const first = await bootstrapOrg({
      name: "Lost Link Ltd",
      adminEmail: "owner@lostlink.example",
      slug: `lost-link-${Date.now()}`,
    });
    const orgsBefore = await count(sql`select count(*)::int as n from orgs`);

    const run = await script("bootstrap.ts", ["--reissue", first.org.slug.toUpperCase()]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain("owner@lostlink.example");
    expect(run.stdout).toContain("1 earlier link(s) revoked");
    const token = tokenIn(run.stdout);
    expect(token).not.toBe("");
    expect(token).not.toBe(first.setupToken);

    expect(await count(sql`select count(*)::int as n from orgs`)).toBe(orgsBefore);
    expect(await inspectSetupLink(first.setupToken)).toBeNull();
    expect(await inspectSetupLink(token)).toMatchObject({ email: "owner@lostlink.example", purpose: "setup" });
    await expect(
      completeSetup({ token: first.setupToken, password: "a long enough new password" }),
    ).rejects.toMatchObject({ code: "not_found" });
    const audit = await unsafeWithSystem((tx) =>
      tx.execute<{ actor_id: string | null; data: Record<string, unknown> }>(
        sql`select actor_id, data from audit_events where org_id = ${first.org.id} and action = 'org.setup_link_reissued'`,
      ),
    );
    expect(audit.rows).toEqual([{ actor_id: null, data: expect.objectContaining({ by: "operator", revoked: 1 }) }]);
    expect(JSON.stringify(audit.rows)).not.toContain(token.split(".")[1]);

    // Used once the admin sets a password; after that, re-issuing is refused (reset is the way).
    await expect(completeSetup({ token, password: "a long enough new password" })).resolves.toMatchObject({
      email: "owner@lostlink.example",
    });
    const again = await script("bootstrap.ts", ["--reissue", first.org.slug]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already chosen a password");
    expect(
      await count(
        sql`select count(*)::int as n from one_time_tokens where org_id = ${first.org.id} and used_at is null`,
      ),
    ).toBe(0);

    const unknown = await script("bootstrap.ts", ["--reissue", "no-such-org-anywhere"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no organization with the slug "no-such-org-anywhere"');
    expect((await script("bootstrap.ts", ["--reissue", first.org.slug, "--admin", "x@example.com"])).code).toBe(2);
  }, 120_000);
});

const redisUp = await new Promise<boolean>((resolve) => {
  const s = net.connect(6379, "127.0.0.1");
  s.once("connect", () => (s.destroy(), resolve(true)));
  s.once("error", () => resolve(false));
});
if (!redisUp) console.log("skipped: no Redis on 127.0.0.1:6379 (auth:unlock clears the Redis store)");

describe("npm run auth:unlock", () => {
  beforeEach(() => resetLimitersForTests());
  afterAll(() => {
    setProcessEnv({ REDIS_URL: "" });
    resetLimitersForTests();
  });

  it("says it cannot reach the memory store when REDIS_URL is unset (exit 3), and checks its input (exit 2)", async () => {
    const r = await script("auth-unlock.ts", ["someone@example.test"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("REDIS_URL is not set");
    expect((await script("auth-unlock.ts", [])).code).toBe(2);
    expect((await script("auth-unlock.ts", ["not-an-email"])).code).toBe(2);
    expect((await script("auth-unlock.ts", ["a@example.test", "--ip", "nope"])).code).toBe(2);
  }, 60_000);

  it.runIf(redisUp)(
    "clears one account's locks from every IP, and nobody else's",
    async () => {
      setProcessEnv({ REDIS_URL: REDIS });
      const org = await bootstrapOrg({
        name: "Locked Out Co",
        adminEmail: `locked-${Date.now()}@example.test`,
        slug: `locked-${Date.now()}`,
      });
      const email = org.admin.email;
      const bystander = `bystander-${Date.now()}@example.test`;
      // Addresses of this run only: the machine's Redis outlives test runs, and each IP's daily
      // budget (100 failures) must not fill up over repeated runs of this test.
      const subnet = `10.${randomInt(1, 255)}.${randomInt(0, 256)}`;
      const [ip1, ip2] = [`${subnet}.1`, `${subnet}.2`];
      for (const ip of [ip1, ip2]) for (let i = 0; i < 5; i++) await recordSignInFailure(email.toUpperCase(), ip);
      for (let i = 0; i < 5; i++) await recordSignInFailure(bystander, ip1);
      for (let i = 0; i < 10; i++) await recordSecondFactorFailure(org.admin.id);
      resetLimitersForTests();
      await expect(assertSignInAllowed(email, ip1)).rejects.toMatchObject({ code: "rate_limited" });
      await expect(assertSignInAllowed(email, ip2)).rejects.toMatchObject({ code: "rate_limited" });
      await expect(assertSecondFactorAllowed(org.admin.id)).rejects.toMatchObject({ code: "rate_limited" });

      const run = await script("auth-unlock.ts", [email, "--org", org.org.slug, "--json"], {
        REDIS_URL: REDIS,
        LOG_LEVEL: "info",
      });
      expect(run.code, run.stderr).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({
        email,
        emailIpKeys: 2,
        secondFactorKeys: 1,
        accounts: [{ userId: org.admin.id, orgSlug: org.org.slug }],
      });
      expect(run.stderr).toContain("sign-in throttle cleared by the operator");

      resetLimitersForTests();
      await expect(assertSignInAllowed(email, ip1)).resolves.toBeUndefined();
      await expect(assertSignInAllowed(email, ip2)).resolves.toBeUndefined();
      await expect(assertSecondFactorAllowed(org.admin.id)).resolves.toBeUndefined();
      await expect(assertSignInAllowed(bystander, ip1)).rejects.toMatchObject({ code: "rate_limited" });
      const audit = await unsafeWithSystem((tx) =>
        tx.execute<{ n: number }>(
          sql`select count(*)::int as n from audit_events where org_id = ${org.org.id} and action = 'user.signin_unlocked' and entity_id = ${org.admin.id}`,
        ),
      );
      expect(audit.rows[0]!.n).toBe(1);

      const text = await script("auth-unlock.ts", [bystander], { REDIS_URL: REDIS });
      expect(text.code, text.stderr).toBe(0);
      expect(text.stdout).toContain(`Sign-in unlocked for ${bystander}: 1 email+IP lock(s) cleared`);
      expect(text.stdout).toContain("No account with this email");
    },
    90_000,
  );

  it.runIf(redisUp)(
    "with --ip also clears that address's daily budget, and only that address's",
    async () => {
      setProcessEnv({ REDIS_URL: REDIS, RATE_LIMIT_SIGNIN_IP_PER_DAY: "3" });
      try {
        const subnet = `10.${randomInt(1, 255)}.${randomInt(0, 256)}`;
        const [ip, other] = [`${subnet}.7`, `${subnet}.8`];
        // Failures for three different emails: no email+IP budget is spent, only each IP's daily one.
        for (const addr of [ip, other])
          for (let i = 0; i < 3; i++) await recordSignInFailure(`spray-${i}-${Date.now()}@example.test`, addr);
        const someone = `someone-${Date.now()}@example.test`;
        await expect(assertSignInAllowed(someone, ip)).rejects.toMatchObject({ code: "rate_limited" });

        const run = await script("auth-unlock.ts", [someone, "--ip", ip, "--json"], { REDIS_URL: REDIS });
        expect(run.code, run.stderr).toBe(0);
        expect(JSON.parse(run.stdout)).toMatchObject({ email: someone, ipKeys: 1, accounts: [] });
        resetLimitersForTests();
        await expect(assertSignInAllowed(someone, ip)).resolves.toBeUndefined();
        await expect(assertSignInAllowed(someone, other)).rejects.toMatchObject({ code: "rate_limited" });
      } finally {
        setProcessEnv({ RATE_LIMIT_SIGNIN_IP_PER_DAY: "" });
      }
    },
    60_000,
  );
});
