import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { unsafeWithSystem, withTenant } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { users } from "../db/schema/users";
import type { Role } from "../db/schema/enums";
import { AppError } from "../core/errors";
import { logger } from "../observability/logger";
import { metrics } from "../observability/metrics";
import { verifyPassword } from "./password";
import { verifySecondFactor, type SecondFactor } from "./second-factor";
import {
  assertSecondFactorAllowed,
  assertSignInAllowed,
  clearSecondFactorFailures,
  recordSecondFactorFailure,
  recordSignInFailure,
  recordSignInSuccess,
} from "./signin-throttle";

export type VerifiedUser = {
  userId: string;
  orgId: string;
  role: Role;
  sessionVersion: number;
  mustChangePassword: boolean;
  /** How the second factor was proven, when the user has two-factor sign-in on. */
  secondFactor: SecondFactor | null;
};

type Attempt = {
  email: string;
  password: string;
  /** A TOTP code or a recovery code; required once the password is right and the user has 2FA on. */
  code?: string;
  org?: string;
  ip: string;
  via: "form" | "api";
  requestId?: string | null;
};

/** The answer when the password was right but the one-time code is missing or wrong. */
export const SECOND_FACTOR_REQUIRED = "2fa_required";

// An email is unique per org, not globally; sign-in looks across orgs (optionally narrowed by
// org slug) and accepts exactly one matching account. At most this many candidates are checked
// (the oldest accounts first; someone with accounts in more orgs names the org), and without an org
// this many argon2 verifications are always done: 3, not more, because each one costs ~19 MiB and
// tens of milliseconds of CPU on every sign-in attempt (decision 024).
export const MAX_CANDIDATES = 3;

/**
 * Checks an email and password for sign-in or a token grant. Unknown email, wrong password and
 * blocked account all answer the same 401 after the same argon2 work; failures are throttled
 * (429 with Retry-After) and every outcome is logged, never the password.
 */
export async function verifyCredentials(a: Attempt): Promise<VerifiedUser> {
  const email = a.email.trim().toLowerCase();
  const log = signInLog(a.via, logger().child({ event: "signin", via: a.via, email, ip: a.ip }));
  try {
    await assertSignInAllowed(email, a.ip);
  } catch (err) {
    log.warn({ outcome: "rate_limited" }, "sign-in refused: too many failures");
    throw err;
  }
  const candidates = await unsafeFindUsersByEmail(email, a.org);
  // The same argon2 work whether the email has no account, one, or several (issue 18.17): always
  // exactly `slots` verifications, the missing ones against the dummy hash. Naming the org narrows
  // the search to one account, so that case always does one.
  const slots = a.org ? 1 : MAX_CANDIDATES;
  const verified = await Promise.all(
    Array.from({ length: slots }, (_, i) => verifyPassword(candidates[i]?.passwordHash ?? null, a.password)),
  );
  const matches = candidates.filter((c, i) => verified[i] === true);
  const [match] = matches;
  if (!match || matches.length > 1 || match.blockedAt) {
    await recordSignInFailure(email, a.ip);
    const outcome = match?.blockedAt ? "blocked" : matches.length > 1 ? "ambiguous" : "bad_credentials";
    log.info({ outcome }, "sign-in failed");
    if (matches.length > 1) {
      throw new AppError("unauthenticated", "this email has accounts in several organizations; give the organization", {
        reason: "org_required",
      });
    }
    throw new AppError("unauthenticated", "email or password is incorrect");
  }
  const secondFactor = match.totpEnabledAt ? await checkSecondFactor(match, a, log) : null;
  await recordSignInSuccess(email, a.ip);
  await unsafeStampSignIn(match);
  log.info({ outcome: "success", userId: match.id, orgId: match.orgId, secondFactor }, "sign-in succeeded");
  return {
    userId: match.id,
    orgId: match.orgId,
    role: match.role,
    sessionVersion: match.sessionVersion,
    mustChangePassword: match.mustChangePassword,
    secondFactor,
  };
}

/**
 * Second step for a user with two-factor sign-in on, reached only after the right password (so
 * the answer reveals nothing to someone guessing passwords). No code: 401 2fa_required, not a
 * failure. A wrong code: the same 401, counted as a failure for the email+IP budget and for the
 * account's own second-factor budget.
 */
async function checkSecondFactor(
  match: { id: string; orgId: string },
  a: Attempt,
  log: SignInLog,
): Promise<SecondFactor> {
  const code = a.code?.trim();
  if (!code) {
    log.info({ outcome: "2fa_required", userId: match.id, orgId: match.orgId }, "sign-in needs a one-time code");
    throw new AppError("unauthenticated", "enter the one-time code from your authenticator app (or a recovery code)", {
      reason: SECOND_FACTOR_REQUIRED,
    });
  }
  try {
    await assertSecondFactorAllowed(match.id);
  } catch (err) {
    log.warn(
      { outcome: "rate_limited", userId: match.id, orgId: match.orgId },
      "sign-in refused: too many wrong one-time codes",
    );
    throw err;
  }
  const factor = await withTenant(match.orgId, (tx) =>
    verifySecondFactor(tx, { orgId: match.orgId, userId: match.id }, code, a.requestId ?? null),
  );
  if (!factor) {
    await Promise.all([recordSignInFailure(a.email.trim().toLowerCase(), a.ip), recordSecondFactorFailure(match.id)]);
    log.info({ outcome: "bad_code", userId: match.id, orgId: match.orgId }, "sign-in failed: wrong one-time code");
    throw new AppError("unauthenticated", "the one-time code is incorrect or was already used", {
      reason: SECOND_FACTOR_REQUIRED,
    });
  }
  await clearSecondFactorFailures(match.id);
  return factor;
}

/** Before a session exists there is no tenant scope: the sign-in time is stamped through the system role, by org and id. */
async function unsafeStampSignIn(match: { orgId: string; id: string }): Promise<void> {
  await unsafeWithSystem((tx) =>
    tx
      .update(users)
      .set({ lastSignInAt: sql`now()` })
      .where(and(eq(users.orgId, match.orgId), eq(users.id, match.id))),
  );
}

/** Cross-org lookup by email: the documented narrow system path of sign-in. */
async function unsafeFindUsersByEmail(email: string, orgSlug?: string) {
  return unsafeWithSystem((tx) =>
    tx
      .select({
        id: users.id,
        orgId: users.orgId,
        role: users.role,
        passwordHash: users.passwordHash,
        blockedAt: users.blockedAt,
        sessionVersion: users.sessionVersion,
        mustChangePassword: users.mustChangePassword,
        totpEnabledAt: users.totpEnabledAt,
      })
      .from(users)
      .innerJoin(orgs, eq(orgs.id, users.orgId))
      .where(
        and(
          sql`lower(${users.email}) = ${email}`,
          orgSlug ? sql`lower(${orgs.slug}) = ${orgSlug.trim().toLowerCase()}` : undefined,
        ),
      )
      .orderBy(users.createdAt, users.id)
      .limit(MAX_CANDIDATES),
  );
}

type SignInLog = ReturnType<typeof signInLog>;

/** Every logged sign-in outcome is also counted (signin_attempts_total{outcome, via}). */
function signInLog(via: string, log: ReturnType<typeof logger>) {
  const count = (fields: { outcome?: string }) => {
    if (fields.outcome) metrics().signIns.inc({ outcome: fields.outcome, via });
  };
  return {
    info: (fields: Record<string, unknown> & { outcome?: string }, msg: string) => (
      count(fields),
      log.info(fields, msg)
    ),
    warn: (fields: Record<string, unknown> & { outcome?: string }, msg: string) => (
      count(fields),
      log.warn(fields, msg)
    ),
  };
}
