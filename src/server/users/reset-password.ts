import "server-only";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { createPasswordLink } from "../auth/setup-link";
import { assertFeatureEnabled } from "../flags/flags";
import { assertCan } from "../authz/permissions";
import { loadUserForUpdate } from "./load-user";
import { sendPasswordLink, smtpConfigured } from "./send-password-link";

export const ZPasswordResetResult = z.object({
  /** "invite" when the user never chose a password: the invitation is sent again instead. */
  purpose: z.enum(["password_reset", "invite"]),
  /** The link, only when no mail server is configured (SMTP_URL unset) for the admin to hand over. */
  resetUrl: z.string().nullable(),
  expiresAt: z.iso.datetime(),
});
export type PasswordResetResult = z.infer<typeof ZPasswordResetResult>;

/**
 * POST /users/:id/reset-password (admin): signs the user out everywhere (sessionVersion bump),
 * clears the old password hash, so the old password grants nothing any more (issue 18.13), and
 * sends a one-time link (24 h) to choose a new password on the setup page. Any older link of the
 * user stops working. A user whose reset is pending (no hash, mustChangePassword) gets another reset
 * link; one who never chose a password gets the invitation again. Not for your own account (409):
 * that is POST /me/password, and an admin must not lock themself out of an org.
 */
export async function resetPassword(scope: Scope, id: string): Promise<PasswordResetResult> {
  assertCan(scope.user, "users.manage");
  if (id === scope.user.userId) {
    throw new AppError("conflict", "change your own password with POST /api/v1/me/password", { reason: "own_account" });
  }
  const before = await loadUserForUpdate(scope.tx, id);
  const purpose = before.passwordHash === null && !before.mustChangePassword ? "invite" : "password_reset";
  // Re-sending an invitation is a sign-up link; a reset link for an existing account is not.
  if (purpose === "invite") await assertFeatureEnabled(scope.tx, scope.user.orgId, "signup_tokens");
  await scope.tx
    .update(users)
    .set({
      mustChangePassword: purpose === "password_reset",
      passwordHash: null,
      sessionVersion: sql`${users.sessionVersion} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, id));
  const link = await createPasswordLink(scope.tx, { orgId: scope.user.orgId, userId: id }, purpose);
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: purpose === "invite" ? "user.invite_resent" : "user.password_reset",
      entityType: "user",
      entityId: id,
      data: {
        email: before.email,
        linkExpiresAt: link.expiresAt.toISOString(),
        emailed: smtpConfigured(),
        sessionsRevoked: true,
      },
    },
  );
  const resetUrl = await sendPasswordLink(scope.tx, scope.user.orgId, {
    purpose,
    to: { email: before.email, name: before.name },
    by: scope.user.name,
    link,
  });
  return { purpose, resetUrl, expiresAt: link.expiresAt.toISOString() };
}
