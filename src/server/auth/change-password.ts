import "server-only";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { hashPassword, verifyPassword } from "./password";
import { assertPasswordNotPersonal, ZNewPassword } from "./password-policy";

export { ZNewPassword };

export const ZChangePassword = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: ZNewPassword,
});
export type ChangePassword = z.infer<typeof ZChangePassword>;

/**
 * Changes the caller's password after checking the current one, clears mustChangePassword and
 * bumps sessionVersion, which ends every session and token of the user (the UI signs straight
 * back in with the new password).
 */
export async function changePassword(scope: Scope, input: ChangePassword): Promise<{ ok: true }> {
  const [u] = await scope.tx
    .select({ passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.id, scope.user.userId));
  if (!(await verifyPassword(u?.passwordHash, input.currentPassword))) {
    throw new AppError("validation_failed", "current password is incorrect", {
      issues: [{ in: "body", path: "currentPassword", message: "is incorrect" }],
    });
  }
  if (input.newPassword === input.currentPassword) {
    throw new AppError("validation_failed", "the new password must differ from the current one", {
      issues: [{ in: "body", path: "newPassword", message: "must differ from the current password" }],
    });
  }
  assertPasswordNotPersonal(input.newPassword, scope.user, "newPassword");
  await scope.tx
    .update(users)
    .set({
      passwordHash: await hashPassword(input.newPassword),
      mustChangePassword: false,
      sessionVersion: sql`${users.sessionVersion} + 1`,
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, scope.user.userId));
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: "user.password_changed",
      entityType: "user",
      entityId: scope.user.userId,
      data: { sessionsRevoked: true },
    },
  );
  return { ok: true };
}
