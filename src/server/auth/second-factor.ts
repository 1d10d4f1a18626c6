import "server-only";
import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { logger } from "../observability/logger";
import { consumeRecoveryCode, remainingRecoveryCodes } from "./recovery-codes";
import { open } from "./secret-box";
import { matchTotp } from "./totp";

export const TOTP_BOX = "totp";

export type SecondFactor = "totp" | "recovery_code";

/** The user's TOTP secret in the clear, or null (none, or sealed under another NEXTAUTH_SECRET). */
export function readTotpSecret(sealed: string | null, userId: string): string | null {
  if (!sealed) return null;
  const secret = open(sealed, TOTP_BOX);
  if (secret === null) logger().warn({ userId }, "a TOTP secret cannot be decrypted (was NEXTAUTH_SECRET changed?)");
  return secret;
}

/**
 * Checks a second factor for a user with two-factor sign-in enabled: a 6-digit TOTP code (each
 * time step accepted once: the conditional update refuses a replay, even a concurrent one) or a
 * recovery code (spent on use, and audited). Returns which one matched, or null.
 */
export async function verifySecondFactor(
  tx: Tx,
  user: { orgId: string; userId: string },
  code: string,
  requestId: string | null,
): Promise<SecondFactor | null> {
  const [u] = await tx
    .select({ secret: users.totpSecret, enabledAt: users.totpEnabledAt })
    .from(users)
    .where(eq(users.id, user.userId));
  if (!u?.enabledAt) return null;
  const compact = code.replace(/\s/g, "");
  if (/^\d{6}$/.test(compact)) {
    const secret = readTotpSecret(u.secret, user.userId);
    const step = secret ? matchTotp(secret, compact) : null;
    if (step === null) return null;
    const accepted = await tx
      .update(users)
      .set({ totpLastStep: step })
      .where(and(eq(users.id, user.userId), or(isNull(users.totpLastStep), lt(users.totpLastStep, step))))
      .returning({ id: users.id });
    return accepted.length === 1 ? "totp" : null;
  }
  if (!(await consumeRecoveryCode(tx, user.userId, code))) return null;
  await recordAudit(
    tx,
    { orgId: user.orgId, actorId: user.userId, requestId },
    {
      action: "user.recovery_code_used",
      entityType: "user",
      entityId: user.userId,
      data: { remaining: await remainingRecoveryCodes(tx, user.userId) },
    },
  );
  return "recovery_code";
}
