import "server-only";
import { eq, sql } from "drizzle-orm";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Ctx } from "../http/route";
import { deleteRecoveryCodes } from "../auth/recovery-codes";
import { assertCan } from "../tickets/permissions";
import { loadUserForUpdate } from "./load-user";

/**
 * DELETE /users/:id/2fa (admin): turns off two-factor sign-in for someone who lost their
 * authenticator and recovery codes. Their own account goes through DELETE /me/2fa, which asks
 * for the password and a code — an admin session alone must not strip its own second factor.
 */
export async function resetTwoFactor(ctx: Ctx, id: string): Promise<void> {
  assertCan(ctx.user, "users.manage");
  if (id === ctx.user.userId) {
    throw new AppError("conflict", "turn off your own two-factor sign-in with DELETE /api/v1/me/2fa (password and code)");
  }
  const before = await loadUserForUpdate(ctx.tx, id);
  if (before.totpSecret === null && before.totpEnabledAt === null) return;
  await ctx.tx
    .update(users)
    .set({ totpSecret: null, totpEnabledAt: null, totpLastStep: null, updatedAt: sql`now()` })
    .where(eq(users.id, id));
  await deleteRecoveryCodes(ctx.tx, id);
  await recordAudit(ctx.tx, { orgId: ctx.org.id, actorId: ctx.user.userId, requestId: ctx.requestId }, {
    action: "user.2fa_reset",
    entityType: "user",
    entityId: id,
    data: { email: before.email, wasEnabled: before.totpEnabledAt !== null },
  });
}
