import "server-only";
import { env } from "../env";
import { AppError } from "../core/errors";
import { limiter, rateLimitHeaders, RateLimiterRes, stateOf } from "../ratelimit/limiters";

/** SPEC §6: full exports are limited per user (RATE_LIMIT_EXPORT_PER_MIN, default 10 a minute). */
export async function consumeExportBudget(user: { orgId: string; userId: string }): Promise<void> {
  const points = env().RATE_LIMIT_EXPORT_PER_MIN;
  const l = await limiter({ name: "export", points, durationSec: 60 });
  try {
    await l.consume(`${user.orgId}:${user.userId}`, 1);
  } catch (err) {
    if (!(err instanceof RateLimiterRes)) throw err;
    const s = stateOf(err, points);
    throw new AppError("rate_limited", `at most ${points} exports a minute; try again shortly`, undefined, {
      "Retry-After": String(s.resetSec),
      ...rateLimitHeaders(s),
    });
  }
}
