import "server-only";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { ROLES } from "../db/schema/enums";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import { assertVersion } from "../core/versions";
import type { Scope } from "../core/scope";
import { assertCan } from "../authz/permissions";
import { isActiveAdmin, loadUserForUpdate, lockActiveAdmins } from "./load-user";
import { toUserView, type UserView } from "./user-view";

export const ZUpdateUser = z
  .strictObject({
    name: z.string().trim().min(1, { message: "must not be empty" }).max(100).optional(),
    role: z.enum(ROLES).optional(),
    /** Blocking ends every session and token on the very next request (the principal checks it). */
    blocked: z.boolean().optional(),
  })
  .refine((v) => Object.values(v).some((x) => x !== undefined), { message: "nothing to change" });
export type UpdateUser = z.infer<typeof ZUpdateUser>;

/** PATCH /users/:id (admin): name, role, block/unblock — never leaving the org without an active admin. */
export async function updateUser(scope: Scope, id: string, input: UpdateUser): Promise<UserView> {
  return (await updateVersionedUser(scope, id, input)).user;
}

/**
 * updateUser with the user's version (the API's ETag, decision 043): given `ifVersion` (the
 * versions If-Match names), nothing changes unless the locked row's version is one of them (412).
 */
export async function updateVersionedUser(
  scope: Scope,
  id: string,
  input: UpdateUser,
  ifVersion?: readonly number[],
): Promise<{ user: UserView; version: number }> {
  assertCan(scope.user, "users.manage");
  const mayRemoveAnAdmin = (input.role !== undefined && input.role !== "admin") || input.blocked === true;
  // The admin set is locked before the target row (same order in every request: no deadlock).
  const activeAdmins = mayRemoveAnAdmin ? await lockActiveAdmins(scope.tx) : [];
  const before = await loadUserForUpdate(scope.tx, id);
  assertVersion("user", before.version, ifVersion);

  if (input.blocked === true && id === scope.user.userId) {
    throw new AppError("conflict", "you cannot block yourself; ask another admin");
  }
  const losesAdmin =
    isActiveAdmin(before) && ((input.role !== undefined && input.role !== "admin") || input.blocked === true);
  if (losesAdmin && activeAdmins.filter((a) => a !== id).length === 0) {
    throw new AppError(
      "conflict",
      `${before.email} is the organization's last active admin and cannot be ${input.blocked === true ? "blocked" : "demoted"}; make someone else an admin first`,
      { reason: "last_admin" },
    );
  }

  const changes: Record<string, { from: unknown; to: unknown }> = {};
  const set: Partial<typeof users.$inferInsert> = {};
  if (input.name !== undefined && input.name !== before.name) {
    changes.name = { from: before.name, to: input.name };
    set.name = input.name;
  }
  if (input.role !== undefined && input.role !== before.role) {
    changes.role = { from: before.role, to: input.role };
    set.role = input.role;
  }
  if (input.blocked !== undefined && input.blocked !== (before.blockedAt !== null)) {
    changes.blocked = { from: before.blockedAt !== null, to: input.blocked };
  }
  if (Object.keys(changes).length === 0) return { user: toUserView(before), version: before.version };

  const [after] = await scope.tx
    .update(users)
    .set({
      ...set,
      // Blocking (and unblocking) bumps sessionVersion: every session and token issued before the
      // block stays dead after an unblock, including tokens without an expiry (issue 18.4).
      ...(changes.blocked
        ? { blockedAt: input.blocked ? sql`now()` : null, sessionVersion: sql`${users.sessionVersion} + 1` }
        : {}),
      updatedAt: sql`now()`,
    })
    .where(eq(users.id, id))
    .returning();
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: changes.blocked ? (input.blocked ? "user.blocked" : "user.unblocked") : "user.updated",
      entityType: "user",
      entityId: id,
      data: { changes },
    },
  );
  return { user: toUserView(after!), version: after!.version };
}
