import "server-only";
import { eq } from "drizzle-orm";
import { users } from "../db/schema/users";
import { notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { assertCan } from "../authz/permissions";
import { toUserDetail, type UserDetail } from "./user-view";

/** GET /users/:id (admin): one user of the org with account-security state; another org's is 404. */
export async function getUser(scope: Scope, id: string): Promise<UserDetail> {
  return (await getVersionedUser(scope, id)).user;
}

/** getUser with the user's version (the API's ETag, decision 043). */
export async function getVersionedUser(scope: Scope, id: string): Promise<{ user: UserDetail; version: number }> {
  assertCan(scope.user, "users.manage");
  const [u] = await scope.tx.select().from(users).where(eq(users.id, id));
  if (!u) throw notFound("user");
  return { user: toUserDetail(u), version: u.version };
}
