import "server-only";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { orgs } from "../db/schema/orgs";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { verifyPassword } from "./password";
import { deleteRecoveryCodes, remainingRecoveryCodes, replaceRecoveryCodes } from "./recovery-codes";
import { twoFactorRequiredFor } from "./principal";
import { readTotpSecret, TOTP_BOX, verifySecondFactor } from "./second-factor";
import { seal } from "./secret-box";
import { assertSecondFactorAllowed, clearSecondFactorFailures, recordSecondFactorFailure } from "./signin-throttle";
import { matchTotp, newTotpSecret, otpauthUrl } from "./totp";
import { sessionSetCookie } from "./session-cookie";

// The caller's own two-factor sign-in (/api/v1/me/2fa…): set up (pending) → confirm with a code
// (enabled, recovery codes shown once) → disable with password and code.

const zCode = z.string().trim().min(1, { message: "is required" }).max(64);

export const ZConfirmTwoFactor = z.strictObject({ code: zCode });
export const ZDisableTwoFactor = z.strictObject({ password: z.string().min(1).max(1024), code: zCode });
export const ZRegenerateRecoveryCodes = z.strictObject({ code: zCode });
export type ConfirmTwoFactor = z.infer<typeof ZConfirmTwoFactor>;
export type DisableTwoFactor = z.infer<typeof ZDisableTwoFactor>;

export const ZTwoFactorStatus = z.object({
  enabled: z.boolean(),
  /** A secret was issued by /setup and awaits its first code at /confirm. */
  pending: z.boolean(),
  /** The org requires two-factor sign-in for this user's role. */
  required: z.boolean(),
  recoveryCodesRemaining: z.number().int(),
});
export const ZTwoFactorSetup = z.object({ secret: z.string(), otpauthUrl: z.string() });
export const ZRecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });

const ISSUER = "Beacon";

const actor = (scope: Scope) => ({ orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId });
const wrong = (path: "code" | "password") =>
  new AppError("validation_failed", path === "code" ? "the one-time code is incorrect" : "the password is incorrect", {
    issues: [{ in: "body", path, message: "is incorrect" }],
  });

async function loadSelf(scope: Scope, lock = true) {
  const q = scope.tx
    .select({
      passwordHash: users.passwordHash,
      totpSecret: users.totpSecret,
      totpEnabledAt: users.totpEnabledAt,
      role: users.role,
      settings: orgs.settings,
      orgSlug: orgs.slug,
    })
    .from(users)
    .innerJoin(orgs, eq(orgs.id, users.orgId))
    .where(eq(users.id, scope.user.userId));
  // Changes lock the user's row, so two concurrent setups or confirms cannot interleave.
  const [u] = lock ? await q.for("update", { of: users }) : await q;
  if (!u) throw new AppError("unauthenticated", "invalid or expired credentials");
  return u;
}

export async function twoFactorStatus(scope: Scope): Promise<z.infer<typeof ZTwoFactorStatus>> {
  const u = await loadSelf(scope, false);
  const enabled = u.totpEnabledAt !== null;
  return {
    enabled,
    pending: !enabled && u.totpSecret !== null,
    required: twoFactorRequiredFor(u.role, u.settings),
    recoveryCodesRemaining: enabled ? await remainingRecoveryCodes(scope.tx, scope.user.userId) : 0,
  };
}

/** Issues a new secret (replacing any earlier pending one); nothing changes at sign-in until /confirm. */
export async function setupTwoFactor(scope: Scope): Promise<z.infer<typeof ZTwoFactorSetup>> {
  const u = await loadSelf(scope);
  if (u.totpEnabledAt) {
    throw new AppError("conflict", "two-factor sign-in is already on; turn it off first to set up a new authenticator");
  }
  const secret = newTotpSecret();
  await scope.tx
    .update(users)
    .set({ totpSecret: seal(secret, TOTP_BOX), totpLastStep: null, updatedAt: sql`now()` })
    .where(eq(users.id, scope.user.userId));
  await recordAudit(scope.tx, actor(scope), {
    action: "user.2fa_setup_started",
    entityType: "user",
    entityId: scope.user.userId,
  });
  return { secret, otpauthUrl: otpauthUrl({ secret, issuer: ISSUER, account: `${scope.user.email} (${u.orgSlug})` }) };
}

/** The first code from the authenticator proves it was set up: two-factor goes on, recovery codes are shown once. */
/**
 * Confirms the authenticator: two-factor goes on and sessionVersion is bumped, so every other
 * session and every API token of the user ends (they were signed in with the password alone,
 * issue 18.13). The session that confirmed it stays signed in: the answer re-issues its cookie at
 * the new version, keeping its sign-in time. A token caller gets the JSON only, its token is spent.
 */
export async function confirmTwoFactor(
  scope: Scope,
  input: ConfirmTwoFactor,
): Promise<Response | { enabled: true; recoveryCodes: string[] }> {
  const u = await loadSelf(scope);
  if (u.totpEnabledAt) throw new AppError("conflict", "two-factor sign-in is already on");
  const secret = readTotpSecret(u.totpSecret, scope.user.userId);
  if (!secret)
    throw new AppError(
      "conflict",
      "start with POST /api/v1/me/2fa/setup; there is no authenticator waiting to be confirmed",
    );
  const step = matchTotp(secret, input.code.replace(/\s/g, ""));
  if (step === null) throw wrong("code");
  const [bumped] = await scope.tx
    .update(users)
    .set({
      totpEnabledAt: sql`now()`,
      totpLastStep: step,
      sessionVersion: sql`${users.sessionVersion} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, scope.user.userId))
    .returning({ sessionVersion: users.sessionVersion });
  const recoveryCodes = await replaceRecoveryCodes(scope.tx, scope.user);
  await recordAudit(scope.tx, actor(scope), {
    action: "user.2fa_enabled",
    entityType: "user",
    entityId: scope.user.userId,
    data: { recoveryCodes: recoveryCodes.length, sessionsRevoked: true },
  });
  const body = { enabled: true as const, recoveryCodes };
  if (scope.user.via !== "session" || scope.user.authTime === undefined) return body;
  const cookie = await sessionSetCookie({
    sub: scope.user.userId,
    oid: scope.user.orgId,
    sv: bumped!.sessionVersion,
    at: scope.user.authTime,
  });
  return Response.json(body, { headers: { "set-cookie": cookie } });
}

/** Wrong codes and passwords here count against the account's second-factor budget, as at sign-in. */
async function proveSecondFactor(scope: Scope, code: string): Promise<void> {
  await assertSecondFactorAllowed(scope.user.userId);
  if (!(await verifySecondFactor(scope.tx, scope.user, code, scope.requestId))) {
    await recordSecondFactorFailure(scope.user.userId);
    throw wrong("code");
  }
  await clearSecondFactorFailures(scope.user.userId);
}

/** Turning two-factor off takes the password and a code (TOTP or recovery code). */
export async function disableTwoFactor(scope: Scope, input: DisableTwoFactor): Promise<void> {
  const u = await loadSelf(scope);
  if (!u.totpEnabledAt) throw new AppError("conflict", "two-factor sign-in is not on");
  await assertSecondFactorAllowed(scope.user.userId);
  if (!(await verifyPassword(u.passwordHash, input.password))) {
    await recordSecondFactorFailure(scope.user.userId);
    throw wrong("password");
  }
  await proveSecondFactor(scope, input.code);
  await scope.tx
    .update(users)
    .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, updatedAt: sql`now()` })
    .where(eq(users.id, scope.user.userId));
  await deleteRecoveryCodes(scope.tx, scope.user.userId);
  await recordAudit(scope.tx, actor(scope), {
    action: "user.2fa_disabled",
    entityType: "user",
    entityId: scope.user.userId,
    data: { requiredByOrg: twoFactorRequiredFor(u.role, u.settings) },
  });
}

/** A fresh set of recovery codes (the old ones stop working), after a code from the authenticator. */
export async function regenerateRecoveryCodes(
  scope: Scope,
  input: { code: string },
): Promise<{ recoveryCodes: string[] }> {
  const u = await loadSelf(scope);
  if (!u.totpEnabledAt) throw new AppError("conflict", "two-factor sign-in is not on");
  await proveSecondFactor(scope, input.code);
  const recoveryCodes = await replaceRecoveryCodes(scope.tx, scope.user);
  await recordAudit(scope.tx, actor(scope), {
    action: "user.recovery_codes_regenerated",
    entityType: "user",
    entityId: scope.user.userId,
    data: { recoveryCodes: recoveryCodes.length },
  });
  return { recoveryCodes };
}
