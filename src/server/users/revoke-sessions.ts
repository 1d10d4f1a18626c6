import "server-only";
import { eq, sql } from "drizzle-orm";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../http/route";
import { assertCan } from "../tickets/permissions";
import { loadUserForUpdate } from "./load-user";

/**
 * POST /users/:id/revoke-sessions (admin): one sessionVersion bump ends every session cookie and
 * API token of the user on their next request (both carry the version they were issued at).
 */
export async function revokeSessions(ctx: Ctx, id: string): Promise<void> {
  assertCan(ctx.user, "users.manage");
  const before = await loadUserForUpdate(ctx.tx, id);
  await ctx.tx
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1`, updatedAt: sql`now()` })
    .where(eq(users.id, id));
  await recordAudit(ctx.tx, { orgId: ctx.org.id, actorId: ctx.user.userId, requestId: ctx.requestId }, {
    action: "user.sessions_revoked",
    entityType: "user",
    entityId: id,
    data: { email: before.email },
  });
}
