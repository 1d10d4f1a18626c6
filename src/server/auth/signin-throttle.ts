import "server-only";
import { env } from "../env";
import { AppError } from "../core/errors";
import { limiter, rateLimitHeaders, stateOf, type LimitState } from "../ratelimit/limiters";

// Failed sign-ins and token grants: N per 5 minutes per email+IP, M per day per IP.
// Only failures count; a success clears the email+IP budget.

/** The throttle's limiter names; npm run auth:unlock clears their Redis keys (unlock-signin.ts). */
export const SIGNIN_LIMITERS = {
  emailIp: "signin-email-ip",
  ip: "signin-ip",
  secondFactor: "second-factor-user",
} as const;

function perEmailIp() {
  return limiter({ name: SIGNIN_LIMITERS.emailIp, points: env().RATE_LIMIT_SIGNIN_PER_5MIN, durationSec: 300 });
}
function perIp() {
  return limiter({ name: SIGNIN_LIMITERS.ip, points: env().RATE_LIMIT_SIGNIN_IP_PER_DAY, durationSec: 86_400 });
}

export const emailIpKey = (email: string, ip: string) => `${email.trim().toLowerCase()}|${ip}`;

/** Throws 429 rate_limited (with Retry-After) when either budget is spent. */
export async function assertSignInAllowed(email: string, ip: string): Promise<void> {
  const [a, b] = await Promise.all([perEmailIp(), perIp()]);
  const [ra, rb] = await Promise.all([a.get(emailIpKey(email, ip)), b.get(ip)]);
  const states: LimitState[] = [stateOf(ra, a.points), stateOf(rb, b.points)];
  const blocked = states.filter((s) => s.blocked);
  if (blocked.length > 0) {
    const worst = blocked.reduce((x, y) => (x.resetSec >= y.resetSec ? x : y));
    throw new AppError("rate_limited", "too many failed sign-in attempts; try again later", undefined, {
      "Retry-After": String(worst.resetSec),
      ...rateLimitHeaders(worst),
    });
  }
}

export async function recordSignInFailure(email: string, ip: string): Promise<void> {
  const [a, b] = await Promise.all([perEmailIp(), perIp()]);
  await Promise.all([a.penalty(emailIpKey(email, ip), 1), b.penalty(ip, 1)]);
}

export async function recordSignInSuccess(email: string, ip: string): Promise<void> {
  await (await perEmailIp()).delete(emailIpKey(email, ip));
}

// Wrong one-time codes also count per account, whatever the IP: someone who has the password
// could otherwise spread guesses of the 6-digit code over many addresses. (They can also lock
// the owner out for this window — the lesser harm, and the password is then known to be leaked.)
export const SECOND_FACTOR_FAILURES = 10;
export const SECOND_FACTOR_WINDOW_SEC = 15 * 60;

function perUserSecondFactor() {
  return limiter({
    name: SIGNIN_LIMITERS.secondFactor,
    points: SECOND_FACTOR_FAILURES,
    durationSec: SECOND_FACTOR_WINDOW_SEC,
  });
}

export async function assertSecondFactorAllowed(userId: string): Promise<void> {
  const l = await perUserSecondFactor();
  const state = stateOf(await l.get(userId), l.points);
  if (state.blocked) {
    throw new AppError("rate_limited", "too many wrong one-time codes; try again later", undefined, {
      "Retry-After": String(state.resetSec),
      ...rateLimitHeaders(state),
    });
  }
}

export async function recordSecondFactorFailure(userId: string): Promise<void> {
  await (await perUserSecondFactor()).penalty(userId, 1);
}

export async function clearSecondFactorFailures(userId: string): Promise<void> {
  await (await perUserSecondFactor()).delete(userId);
}
