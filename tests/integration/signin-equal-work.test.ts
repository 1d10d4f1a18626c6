import { sql } from "drizzle-orm";
import { beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { POST as grant } from "../helpers/http";
import { MAX_CANDIDATES } from "../../src/server/auth/verify-credentials";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { createOrg, createUser, type TestOrg, type TestUser } from "../helpers/factories";
import { call } from "../helpers/http";

// Issue 18.17: sign-in took 37 ms for an email with accounts in several orgs and 24 ms otherwise,
// which told an attacker how many orgs an email belongs to. The real argon2 runs; this counts its
// verifications (a count, not a timing, so the test is exact and does not flake).

const counter = vi.hoisted(() => ({ verifies: 0 }));
vi.mock("@node-rs/argon2", async (importOriginal) => {
  const real = await importOriginal<typeof import("@node-rs/argon2")>();
  return {
    ...real,
    verify: (...args: Parameters<typeof real.verify>) => {
      counter.verifies++;
      return real.verify(...args);
    },
  };
});

const SHARED_PASSWORD = "shared across three orgs 42";
let orgs: TestOrg[];
let solo: TestUser;
let multi: TestUser[];
let invited: TestUser;

beforeAll(async () => {
  orgs = await Promise.all([createOrg(), createOrg(), createOrg()]);
  solo = await createUser(orgs[0]!, { role: "agent" });
  const email = `multi-${Date.now()}@example.test`;
  multi = await Promise.all(
    orgs.map((o, i) =>
      createUser(o, { role: "agent", email, password: i === 2 ? "the third org has its own 7" : SHARED_PASSWORD }),
    ),
  );
  invited = await createUser(orgs[1]!, { role: "customer" });
  await unsafeWithSystem((tx) => tx.execute(sql`update users set password_hash = null where id = ${invited.id}`));
});
beforeEach(() => resetLimitersForTests());

async function verificationsFor(
  body: Record<string, unknown>,
  ip: string,
): Promise<{ status: number; verifies: number }> {
  counter.verifies = 0;
  const r = await call(grant, "POST", "/api/v1/auth/token", { body, ip });
  return { status: r.status, verifies: counter.verifies };
}

describe("sign-in does the same argon2 work for none, one or several accounts", () => {
  it("counts the same verifications for an unknown email, one account and three orgs, right or wrong password", async () => {
    await verificationsFor({ email: "warm-up@nowhere.test", password: "x" }, "10.61.0.1"); // the dummy hash is made once
    const cases = [
      { body: { email: `nobody-${Date.now()}@nowhere.test`, password: "whatever it is" }, status: 401 },
      { body: { email: solo.email, password: "wrong password here" }, status: 401 },
      { body: { email: solo.email, password: solo.password }, status: 201 },
      { body: { email: multi[0]!.email, password: "wrong password here" }, status: 401 },
      { body: { email: multi[0]!.email, password: SHARED_PASSWORD }, status: 401 }, // two orgs match: org_required
      { body: { email: multi[0]!.email, password: "the third org has its own 7" }, status: 201 }, // exactly one matches
    ];
    const counts: number[] = [];
    for (const [i, c] of cases.entries()) {
      const r = await verificationsFor(c.body, `10.61.1.${i + 1}`);
      expect(r.status, JSON.stringify(c.body)).toBe(c.status);
      counts.push(r.verifies);
    }
    expect(new Set(counts).size, `verifications per case: ${counts.join(", ")}`).toBe(1);
    expect(counts[0]).toBe(MAX_CANDIDATES);
  });

  it("an invited account (no password yet) costs the same as any other", async () => {
    const r = await verificationsFor({ email: invited.email, password: "anything at all" }, "10.61.2.1");
    expect(r.status).toBe(401);
    expect(r.verifies).toBe(MAX_CANDIDATES);
  });

  it("naming the org narrows sign-in to one account: one verification, found or not", async () => {
    const slug = (o: TestOrg) => o.slug;
    const a = await verificationsFor(
      { email: multi[0]!.email, password: SHARED_PASSWORD, org: slug(orgs[0]!) },
      "10.61.3.1",
    );
    const b = await verificationsFor(
      { email: `nobody-${Date.now()}@nowhere.test`, password: "whatever it is", org: slug(orgs[0]!) },
      "10.61.3.2",
    );
    expect(a).toEqual({ status: 201, verifies: 1 });
    expect(b).toEqual({ status: 401, verifies: 1 });
  });
});
