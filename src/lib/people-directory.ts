import "server-only";
import { and, asc, eq, inArray, isNull } from "drizzle-orm";
import { users } from "@/server/db/schema/users";
import type { Ctx } from "@/server/http/route";
import { isStaff } from "@/server/tickets/permissions";

// Read-only lookups the staff UI needs and the domain layer does not offer yet (see the UI
// report): listUsers gives agents only staff, yet agents work every ticket of the org and must
// see who asked. Staff only; RLS scopes every query to the caller's org. Customers never reach
// these — their pages use the domain functions alone. Candidates to move to src/server/users/.

export type Person = { id: string; name: string; email: string; role: "admin" | "agent" | "customer" };

const columns = { id: users.id, name: users.name, email: users.email, role: users.role };

/** Names and emails of the given users of the caller's org, for a staff member's screen. */
export async function staffLookupPeople(ctx: Pick<Ctx, "tx" | "user">, ids: Iterable<string>): Promise<Map<string, Person>> {
  const wanted = [...new Set(ids)];
  if (!isStaff(ctx.user) || wanted.length === 0) return new Map();
  const rows = await ctx.tx.select(columns).from(users).where(inArray(users.id, wanted));
  return new Map(rows.map((r) => [r.id, r]));
}

/** Active customers of the caller's org (by name), for the staff requester picker. */
export async function staffListCustomers(ctx: Pick<Ctx, "tx" | "user">, limit = 500): Promise<Person[]> {
  if (!isStaff(ctx.user)) return [];
  return ctx.tx
    .select(columns)
    .from(users)
    .where(and(eq(users.role, "customer"), isNull(users.blockedAt)))
    .orderBy(asc(users.name), asc(users.id))
    .limit(limit);
}
