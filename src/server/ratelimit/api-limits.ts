import "server-only";
import { env } from "../env";
import { AppError } from "../core/errors";
import { logger } from "../observability/logger";
import { metrics } from "../observability/metrics";
import { limiter, rateLimitHeaders, RateLimiterRes, type LimitState } from "./limiters";

export type ApiLimit = "ip" | "user" | "search" | "export" | "metrics";

function spec(name: ApiLimit) {
  const e = env();
  const points = {
    ip: e.RATE_LIMIT_IP_PER_MIN,
    user: e.RATE_LIMIT_USER_PER_MIN,
    search: e.RATE_LIMIT_SEARCH_PER_MIN,
    export: e.RATE_LIMIT_EXPORT_PER_MIN,
    metrics: e.RATE_LIMIT_METRICS_PER_MIN,
  }[name];
  return { name: `api-${name}`, points, durationSec: 60 };
}

/**
 * Takes one request from a budget (per IP, per user, or a stricter named one per user).
 * Over budget: 429 rate_limited with Retry-After and RateLimit-* headers, counted and logged.
 */
export async function consume(name: ApiLimit, key: string, log: { requestId: string }): Promise<LimitState> {
  const s = spec(name);
  const l = await limiter(s);
  try {
    const res = await l.consume(key, 1);
    return {
      limit: s.points,
      remaining: res.remainingPoints,
      resetSec: Math.max(1, Math.ceil(res.msBeforeNext / 1000)),
      blocked: false,
    };
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const state = {
      limit: s.points,
      remaining: 0,
      resetSec: Math.max(1, Math.ceil(err.msBeforeNext / 1000)),
      blocked: true,
    };
    metrics().rateLimitHits.inc({ limiter: s.name });
    logger().warn(
      { event: "rate_limited", limiter: s.name, requestId: log.requestId },
      "request refused by rate limit",
    );
    throw new AppError(
      "rate_limited",
      "too many requests; slow down",
      { limiter: name },
      {
        "Retry-After": String(state.resetSec),
        ...rateLimitHeaders(state),
      },
    );
  }
}
