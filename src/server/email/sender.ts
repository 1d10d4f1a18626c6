import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import type { Principal } from "../auth/principal";
import type { AuditInput } from "../audit/record-audit";

type SenderRow = {
  id: string;
  email: string;
  name: string;
  role: Principal["role"];
  blocked: boolean;
  session_version: number;
  created: boolean;
};

/**
 * The org's user for a sender address; an unknown sender becomes a customer without a password
 * (they can claim the account later by a one-time link). Null for a blocked user.
 *
 * One statement finds or creates the user (decision 063). The `user.created` audit event of a new
 * user is returned, not recorded: the caller appends it in its last statement, because the audit
 * chain's head is the org's serialization point and a writer that takes it early holds it (and
 * every other message of the org waits) for the rest of its transaction.
 */
export async function senderPrincipal(
  tx: Tx,
  orgId: string,
  from: { address: string; name: string },
): Promise<{ principal: Principal; created: AuditInput | null } | null> {
  const address = from.address.toLowerCase();
  const name = from.name.slice(0, 200) || from.address.split("@")[0]!;
  const cols = sql`id, email, name, role, blocked_at is not null as blocked, session_version`;
  const find = sql`select ${cols}, false as created from users where org_id = ${orgId} and lower(email) = ${address} limit 1`;
  const r = await tx.execute<SenderRow>(sql`with found as (${find}),
    made as (
      insert into users (org_id, email, name, role, password_hash)
      select ${orgId}, ${from.address}, ${name}, 'customer', null where not exists (select 1 from found)
      on conflict do nothing
      returning ${cols}, true as created)
    select * from found union all select * from made`);
  // Both empty: another message of the same new sender made the user since this statement began.
  const u = r.rows[0] ?? (await tx.execute<SenderRow>(find)).rows[0];
  if (!u || u.blocked) return null;
  return {
    // Not a browser session (no cookie, no CSRF): the closest of Principal's two kinds is "token".
    principal: {
      userId: u.id,
      orgId,
      role: u.role,
      email: u.email,
      name: u.name,
      mustChangePassword: false,
      twoFactorSetupRequired: false,
      sessionVersion: Number(u.session_version),
      via: "token",
    },
    created: u.created
      ? {
          action: "user.created",
          entityType: "user",
          entityId: u.id,
          data: { email: from.address, role: "customer", via: "email" },
        }
      : null,
  };
}
