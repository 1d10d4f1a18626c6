import "server-only";
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from "rate-limiter-flexible";
import { env } from "../env";
import { logger } from "../observability/logger";

type LimiterSpec = { name: string; points: number; durationSec: number };

type RedisState = { client: Redis; url: string; firstAttempt: Promise<void> };
const g = globalThis as unknown as { __beaconLimiters?: Map<string, RateLimiterAbstract>; __beaconRedis?: RedisState };

/**
 * The shared Redis client. The first use in a process waits (at most a second) for the first
 * connection attempt, so a fresh process does not count its first requests in memory only.
 */
async function redis(): Promise<Redis | undefined> {
  const url = env().REDIS_URL;
  if (!url) return undefined;
  if (g.__beaconRedis && g.__beaconRedis.url !== url) {
    g.__beaconRedis.client.disconnect();
    g.__beaconRedis = undefined;
  }
  if (!g.__beaconRedis) {
    const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 1, lazyConnect: false });
    let warned = false;
    client.on("error", (err) => {
      if (!warned)
        logger().warn({ err: err.message }, "redis unavailable: rate limits fall back to this process's memory");
      warned = true;
    });
    client.on("ready", () => {
      if (warned) logger().info("redis back: rate limits are shared again");
      warned = false;
    });
    const firstAttempt = new Promise<void>((resolve) => {
      const done = () => resolve();
      client.once("ready", done);
      client.once("error", done);
      setTimeout(done, 1_000).unref();
    });
    g.__beaconRedis = { client, url, firstAttempt };
  }
  await g.__beaconRedis.firstAttempt;
  return g.__beaconRedis.client;
}

/**
 * A named limiter: Redis-backed (shared by every app process) when REDIS_URL is set, with an
 * in-memory insurance limiter so a Redis outage degrades limits to per-process instead of failing
 * requests; in-memory otherwise.
 */
export async function limiter(spec: LimiterSpec): Promise<RateLimiterAbstract> {
  g.__beaconLimiters ??= new Map();
  const key = `${spec.name}:${spec.points}:${spec.durationSec}`;
  let l = g.__beaconLimiters.get(key);
  if (!l) {
    const opts = { keyPrefix: keyPrefix(spec.name), points: spec.points, duration: spec.durationSec };
    const client = await redis();
    l = client
      ? new RateLimiterRedis({
          ...opts,
          storeClient: client,
          rejectIfRedisNotReady: true,
          insuranceLimiter: new RateLimiterMemory(opts),
        })
      : new RateLimiterMemory(opts);
    g.__beaconLimiters.set(key, l);
  }
  return l;
}

const keyPrefix = (name: string) => `beacon:rl:${name}`;

/** The Redis key a named limiter keeps `key`'s count under (rate-limiter-flexible's `<keyPrefix>:<key>`). */
export function limiterStoreKey(name: string, key: string): string {
  return `${keyPrefix(name)}:${key}`;
}

export type LimitState = { limit: number; remaining: number; resetSec: number; blocked: boolean };

export function stateOf(res: RateLimiterRes | null, points: number, blockedAt = points): LimitState {
  const consumed = res?.consumedPoints ?? 0;
  return {
    limit: points,
    remaining: Math.max(0, points - consumed),
    resetSec: Math.max(1, Math.ceil((res?.msBeforeNext ?? 0) / 1000)),
    blocked: consumed >= blockedAt,
  };
}

export function rateLimitHeaders(s: LimitState): Record<string, string> {
  return {
    "RateLimit-Limit": String(s.limit),
    "RateLimit-Remaining": String(s.remaining),
    "RateLimit-Reset": String(s.resetSec),
  };
}

/** Tests reset limiter state between cases. */
export function resetLimitersForTests(): void {
  g.__beaconLimiters = new Map();
}

export { RateLimiterRes };

/** For /api/health: is the shared Redis answering (REDIS_URL set)? A PING with a 1 s limit. */
export async function redisHealth(): Promise<{ ok: boolean; error?: string }> {
  const client = await redis();
  if (!client) return { ok: true };
  if (client.status !== "ready") return { ok: false, error: `connection ${client.status}` };
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.ping(),
      new Promise((_, reject) => (timer = setTimeout(() => reject(new Error("no answer within 1 s")), 1_000))),
    ]);
    return { ok: true };
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    clearTimeout(timer);
  }
}
