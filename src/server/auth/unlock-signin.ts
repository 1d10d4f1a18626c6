import "server-only";
import { Redis } from "ioredis";
import { sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit";
import { enterTenant, unsafeWithSystem } from "../db/tenant";
import { env } from "../env";
import { logger } from "../observability/logger";
import { limiterStoreKey } from "../ratelimit/limiters";
import { emailIpKey, SIGNIN_LIMITERS } from "./signin-throttle";

// Clears the sign-in throttle (src/server/auth/signin-throttle.ts) for one account, from another
// process (npm run auth:unlock). Only the Redis store can be reached from outside: without
// REDIS_URL each app process counts failures in its own memory, which nothing else can clear
// (decision 022). The keys are the throttle's own (signin-throttle.ts), as the limiters store them.

export class NoSharedThrottle extends Error {}

export type UnlockResult = {
  email: string;
  /** Email+IP failure budgets cleared (one per IP the failures came from). */
  emailIpKeys: number;
  /** The per-IP daily budget, when --ip was given. */
  ipKeys: number;
  /** Wrong one-time-code budgets of the matching accounts. */
  secondFactorKeys: number;
  accounts: { userId: string; orgId: string; orgSlug: string }[];
};

/** Redis MATCH patterns treat * ? [ ] and \ specially; an email may contain some of them. */
const globEscape = (s: string) => s.replace(/[*?[\]\\]/g, (c) => `\\${c}`);

/** The accounts of an email in every org (or in the one named): the operator's cross-org lookup. */
async function unsafeAccountsByEmail(
  email: string,
  orgSlug?: string,
): Promise<{ userId: string; orgId: string; orgSlug: string }[]> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ user_id: string; org_id: string; slug: string }>(sql`
      select u.id as user_id, u.org_id, o.slug from users u join orgs o on o.id = u.org_id
       where lower(u.email) = ${email} ${orgSlug ? sql`and lower(o.slug) = ${orgSlug.trim().toLowerCase()}` : sql``}`),
  );
  return r.rows.map((row) => ({ userId: row.user_id, orgId: row.org_id, orgSlug: row.slug }));
}

/** The unlock in the account's own audit chain, entered from the system role (no signed-in actor). */
async function unsafeAuditUnlock(a: { userId: string; orgId: string }, data: Record<string, unknown>): Promise<void> {
  await unsafeWithSystem(async (tx) => {
    await enterTenant(tx, a.orgId);
    await recordAudit(
      tx,
      { orgId: a.orgId, actorId: null, requestId: null },
      { action: "user.signin_unlocked", entityType: "user", entityId: a.userId, data },
    );
  });
}

export async function unlockSignIn(input: { email: string; orgSlug?: string; ip?: string }): Promise<UnlockResult> {
  const url = env().REDIS_URL;
  if (!url) {
    throw new NoSharedThrottle(
      "REDIS_URL is not set, so each app process counts failed sign-ins in its own memory, which this command cannot reach. " +
        "Restart the app processes (this clears every budget), or wait: an email+IP lock ends 5 minutes after the last failure.",
    );
  }
  const email = input.email.trim().toLowerCase();
  const accounts = await unsafeAccountsByEmail(email, input.orgSlug);

  const redis = new Redis(url, {
    lazyConnect: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 3_000,
    retryStrategy: () => null,
  });
  redis.on("error", () => undefined);
  try {
    await redis.connect();
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, found] = await redis.scan(
        cursor,
        "MATCH",
        limiterStoreKey(SIGNIN_LIMITERS.emailIp, emailIpKey(globEscape(email), "*")),
        "COUNT",
        500,
      );
      cursor = next;
      keys.push(...found);
    } while (cursor !== "0");
    const emailIpKeys = keys.length ? await redis.del(...keys) : 0;
    const ipKeys = input.ip ? await redis.del(limiterStoreKey(SIGNIN_LIMITERS.ip, input.ip.trim())) : 0;
    const secondFactorKeys = accounts.length
      ? await redis.del(...accounts.map((a) => limiterStoreKey(SIGNIN_LIMITERS.secondFactor, a.userId)))
      : 0;
    for (const a of accounts) {
      await unsafeAuditUnlock(a, {
        by: "operator",
        emailIpKeys,
        ipKeys,
        secondFactorKeys: secondFactorKeys > 0,
        ...(input.ip ? { ip: input.ip.trim() } : {}),
      });
    }
    logger().info(
      {
        event: "signin_unlocked",
        email,
        emailIpKeys,
        ipKeys,
        secondFactorKeys,
        userIds: accounts.map((a) => a.userId),
      },
      "sign-in throttle cleared by the operator",
    );
    return { email, emailIpKeys, ipKeys, secondFactorKeys, accounts };
  } finally {
    redis.disconnect();
  }
}
