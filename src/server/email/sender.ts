import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { users } from "../db/schema/users";
import type { Tx } from "../db/tenant";
import type { Principal } from "../auth/principal";
import { recordAudit } from "../audit/record-audit";

/**
 * The org's user for a sender address; an unknown sender becomes a customer without a password
 * (they can claim the account later by a one-time link). Null for a blocked user.
 */
export async function senderPrincipal(
  tx: Tx,
  orgId: string,
  from: { address: string; name: string },
  requestId: string,
): Promise<Principal | null> {
  const find = async () =>
    (
      await tx
        .select()
        .from(users)
        .where(and(eq(users.orgId, orgId), sql`lower(${users.email}) = ${from.address}`))
        .limit(1)
    )[0];
  let u = await find();
  if (!u) {
    const name = from.name.slice(0, 200) || from.address.split("@")[0]!;
    const inserted = await tx
      .insert(users)
      .values({ orgId, email: from.address, name, role: "customer", passwordHash: null })
      .onConflictDoNothing()
      .returning();
    u = inserted[0] ?? (await find());
    if (inserted[0]) {
      await recordAudit(
        tx,
        { orgId, actorId: null, requestId },
        {
          action: "user.created",
          entityType: "user",
          entityId: inserted[0].id,
          data: { email: from.address, role: "customer", via: "email" },
        },
      );
    }
  }
  if (!u || u.blockedAt) return null;
  // Not a browser session (no cookie, no CSRF): the closest of Principal's two kinds is "token".
  return {
    userId: u.id,
    orgId,
    role: u.role,
    email: u.email,
    name: u.name,
    mustChangePassword: false,
    twoFactorSetupRequired: false,
    sessionVersion: u.sessionVersion,
    via: "token",
  };
}
