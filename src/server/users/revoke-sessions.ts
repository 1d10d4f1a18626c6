import "server-only";
import { eq, sql } from "drizzle-orm";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import type { Scope } from "../core/scope";
import { assertCan } from "../authz/permissions";
import { loadUserForUpdate } from "./load-user";

/**
 * POST /users/:id/revoke-sessions (admin): one sessionVersion bump ends every session cookie and
 * API token of the user on their next request (both carry the version they were issued at).
 */
export async function revokeSessions(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "users.manage");
  const before = await loadUserForUpdate(scope.tx, id);
  await scope.tx
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: sql`now()` })
    .where(eq(users.id, id));
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: "user.sessions_revoked",
      entityType: "user",
      entityId: id,
      data: { email: before.email },
    },
  );
}
