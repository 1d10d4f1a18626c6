// npm run bench:wrapper — what the request wrapper costs per request, in-process (no HTTP):
// GET /api/v1/me through route() (IP + user rate limits, bearer-token confirmation in a tenant
// transaction, zod, logging, metrics) against the bare minimum the same answer needs (one
// transaction that sets the tenant and reads the user by primary key).
import { sql } from "drizzle-orm";
import { boot, migrate } from "../lib/boot";
import { closeDb } from "../../src/server/db/client";
import { setProcessEnv } from "../../src/server/env";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { orgs } from "../../src/server/db/schema/orgs";
import { users } from "../../src/server/db/schema/users";
import { issueToken } from "../../src/server/auth/manage-tokens";
import { GET as me } from "../../src/app/api/v1/[[...path]]/route";

// The wrapper's limits are measured, not hit: budgets far above what the loop sends.
setProcessEnv({
  LOG_LEVEL: "silent",
  NODE_ENV: "production",
  NEXTAUTH_SECRET: "x".repeat(40),
  RATE_LIMIT_USER_PER_MIN: "100000000",
  RATE_LIMIT_IP_PER_MIN: "100000000",
});
const booted = await boot({ quiet: true });
await migrate(true);
const N = Number(process.argv[2] ?? 3000);
const slug = `wrapper-bench-${Date.now()}`;
const { org, user } = await unsafeWithSystem(async (tx) => {
  const [o] = await tx.insert(orgs).values({ name: "Wrapper bench", slug }).returning();
  const [u] = await tx
    .insert(users)
    .values({ orgId: o!.id, email: `${slug}@example.test`, name: "Bench", role: "agent" })
    .returning();
  return { org: o!, user: u! };
});
const { token } = await withTenant(org.id, (tx) =>
  issueToken(tx, { orgId: org.id, userId: user.id, sessionVersion: user.sessionVersion }, "bench", null),
);

async function time(label: string, fn: () => Promise<unknown>) {
  for (let i = 0; i < 200; i++) await fn();
  const samples: number[] = [];
  for (let i = 0; i < N; i++) {
    const t = performance.now();
    await fn();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  const p = (q: number) => samples[Math.floor(q * (samples.length - 1))]!.toFixed(3);
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  console.log(`${label.padEnd(34)} mean ${mean.toFixed(3)} ms  p50 ${p(0.5)}  p95 ${p(0.95)}  p99 ${p(0.99)}`);
  return mean;
}

const bare = await time("bare tenant tx + user by id", () =>
  withTenant(org.id, (tx) =>
    tx
      .select()
      .from(users)
      .where(sql`${users.id} = ${user.id}`),
  ),
);
const wrapped = await time("GET /api/v1/me through route()", async () => {
  const r = await me(
    new Request("http://bench/api/v1/me", {
      headers: { authorization: `Bearer ${token}`, "x-forwarded-for": "127.0.0.1" },
    }),
  );
  if (r.status !== 200) throw new Error(`status ${r.status}`);
  await r.text();
});
console.log(
  `wrapper overhead per request: ${(wrapped - bare).toFixed(3)} ms (${N} requests each, memory rate-limit store)`,
);
await unsafeWithSystem((tx) => tx.delete(orgs).where(sql`${orgs.id} = ${org.id}`));
await closeDb();
await booted.shutdown();
process.exit(0);
