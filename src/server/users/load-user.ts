import "server-only";
import { and, asc, eq, isNotNull, isNull } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { users } from "../db/schema/users";
import { notFound } from "../core/errors";

/**
 * A user of the caller's org, row-locked for the change about to be made. Row-level security
 * scopes the lookup to the org, so another org's user is simply not found (404, no existence leak).
 */
export async function loadUserForUpdate(tx: Tx, id: string): Promise<typeof users.$inferSelect> {
  const [u] = await tx.select().from(users).where(eq(users.id, id)).for("update");
  if (!u) throw notFound("user");
  return u;
}

/** An admin who can act now: not blocked and has chosen a password (an invitee cannot sign in yet). */
export const isActiveAdmin = (u: Pick<typeof users.$inferSelect, "role" | "blockedAt" | "passwordHash">) =>
  u.role === "admin" && u.blockedAt === null && u.passwordHash !== null;

/**
 * Locks the org's active admins, in id order so concurrent callers queue instead of deadlocking,
 * and returns their ids as they are once the lock is ours. Under READ COMMITTED a row another
 * transaction demoted or blocked while we waited is re-checked against the filter and drops out,
 * so of two concurrent "demote an admin" requests for the last two admins, the second sees one
 * admin left and is refused.
 */
export async function lockActiveAdmins(tx: Tx): Promise<string[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.blockedAt), isNotNull(users.passwordHash)))
    .orderBy(asc(users.id))
    .for("update");
  return rows.map((r) => r.id);
}
