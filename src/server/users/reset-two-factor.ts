import "server-only";
import { eq, sql } from "drizzle-orm";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { deleteRecoveryCodes } from "../auth/recovery-codes";
import { assertCan } from "../authz/permissions";
import { loadUserForUpdate } from "./load-user";

/**
 * DELETE /users/:id/2fa (admin): turns off two-factor sign-in for someone who lost their
 * authenticator and recovery codes. Their own account goes through DELETE /me/2fa, which asks
 * for the password and a code — an admin session alone must not strip its own second factor.
 */
export async function resetTwoFactor(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "users.manage");
  if (id === scope.user.userId) {
    throw new AppError(
      "conflict",
      "turn off your own two-factor sign-in with DELETE /api/v1/me/2fa (password and code)",
    );
  }
  const before = await loadUserForUpdate(scope.tx, id);
  if (before.totpSecret === null && before.totpEnabledAt === null) return;
  await scope.tx
    .update(users)
    .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, updatedAt: sql`now()` })
    .where(eq(users.id, id));
  await deleteRecoveryCodes(scope.tx, id);
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: "user.2fa_reset",
      entityType: "user",
      entityId: id,
      data: { email: before.email, wasEnabled: before.totpEnabledAt !== null },
    },
  );
}
