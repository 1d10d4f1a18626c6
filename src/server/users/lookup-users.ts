import "server-only";
import { and, asc, eq, inArray, isNull, sql, type SQL } from "drizzle-orm";
import type { Role } from "../db/schema/enums";
import { users } from "../db/schema/users";
import type { Scope } from "../core/scope";
import { assertCan, can } from "../authz/permissions";

// The people directory behind the ticket screens: who a requester, assignee or comment author is.
// Staff work every ticket of their org, so they may resolve any user of it; a customer resolves
// only themself and never learns who another customer is (docs/decisions/017).

/** What the directory tells about a person: no account state, no security columns. */
export type UserSummary = { id: string; name: string; email: string; role: Role };

const SUMMARY = { id: users.id, name: users.name, email: users.email, role: users.role };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type DirectoryScope = Pick<Scope, "tx" | "user">;

/**
 * The given users of the caller's org, by id, as far as the caller may see them: staff any user
 * of the org (blocked ones too, so old tickets still show who asked), a customer only themself.
 * Ids of other orgs, unknown ids and ids the caller may not see are simply absent.
 */
export async function lookupUsers(scope: DirectoryScope, ids: Iterable<string>): Promise<Map<string, UserSummary>> {
  let wanted = [...new Set(ids)].filter((id) => UUID.test(id));
  if (!can(scope.user, "users.directory")) wanted = wanted.filter((id) => id === scope.user.userId);
  if (wanted.length === 0) return new Map();
  const rows = await scope.tx
    .select(SUMMARY)
    .from(users)
    .where(and(eq(users.orgId, scope.user.orgId), inArray(users.id, wanted)));
  return new Map(rows.map((r) => [r.id, r]));
}

export type UserQuery = {
  role?: Role;
  /** Part of the name or email, case-insensitive. */
  q?: string;
  /** Blocked users are left out unless asked for. */
  includeBlocked?: boolean;
  /** 1–1000, default 500. */
  limit?: number;
};

/** Staff only (403 otherwise): people of the org by name, e.g. the requester picker's customers. */
export async function findUsers(scope: DirectoryScope, query: UserQuery = {}): Promise<UserSummary[]> {
  assertCan(scope.user, "users.directory");
  const where: SQL[] = [eq(users.orgId, scope.user.orgId)];
  if (query.role) where.push(eq(users.role, query.role));
  if (!query.includeBlocked) where.push(isNull(users.blockedAt));
  if (query.q) {
    const like = `%${query.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    where.push(sql`(${users.email} ilike ${like} or ${users.name} ilike ${like})`);
  }
  const limit = Math.min(Math.max(Math.trunc(query.limit ?? 500), 1), 1000);
  return scope.tx
    .select(SUMMARY)
    .from(users)
    .where(and(...where))
    .orderBy(asc(users.name), asc(users.id))
    .limit(limit);
}
