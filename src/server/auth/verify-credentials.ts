import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { unsafeWithSystem } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { users } from "../db/schema/users";
import type { Role } from "../db/schema/enums";
import { AppError } from "../http/errors";
import { logger } from "../observability/logger";
import { verifyPassword } from "./password";
import { assertSignInAllowed, recordSignInFailure, recordSignInSuccess } from "./signin-throttle";

export type VerifiedUser = { userId: string; orgId: string; role: Role; sessionVersion: number; mustChangePassword: boolean };

type Attempt = { email: string; password: string; org?: string; ip: string; via: "form" | "api" };

// An email is unique per org, not globally; sign-in looks across orgs (optionally narrowed by
// org slug) and accepts exactly one matching account. At most this many candidates are checked.
const MAX_CANDIDATES = 5;

/**
 * Checks an email and password for sign-in or a token grant. Unknown email, wrong password and
 * blocked account all answer the same 401 after the same argon2 work; failures are throttled
 * (429 with Retry-After) and every outcome is logged, never the password.
 */
export async function verifyCredentials(a: Attempt): Promise<VerifiedUser> {
  const email = a.email.trim().toLowerCase();
  const log = logger().child({ event: "signin", via: a.via, email, ip: a.ip });
  try {
    await assertSignInAllowed(email, a.ip);
  } catch (err) {
    log.warn({ outcome: "rate_limited" }, "sign-in refused: too many failures");
    throw err;
  }
  const candidates = await unsafeFindUsersByEmail(email, a.org);
  const matches: typeof candidates = [];
  if (candidates.length === 0) await verifyPassword(null, a.password);
  for (const c of candidates) {
    if (await verifyPassword(c.passwordHash, a.password)) matches.push(c);
  }
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
  await recordSignInSuccess(email, a.ip);
  await unsafeWithSystem((tx) =>
    tx.update(users).set({ lastSignInAt: sql`now()` }).where(and(eq(users.orgId, match.orgId), eq(users.id, match.id))),
  );
  log.info({ outcome: "success", userId: match.id, orgId: match.orgId }, "sign-in succeeded");
  return {
    userId: match.id,
    orgId: match.orgId,
    role: match.role,
    sessionVersion: match.sessionVersion,
    mustChangePassword: match.mustChangePassword,
  };
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
      })
      .from(users)
      .innerJoin(orgs, eq(orgs.id, users.orgId))
      .where(
        and(
          sql`lower(${users.email}) = ${email}`,
          orgSlug ? sql`lower(${orgs.slug}) = ${orgSlug.trim().toLowerCase()}` : undefined,
        ),
      )
      .limit(MAX_CANDIDATES),
  );
}
