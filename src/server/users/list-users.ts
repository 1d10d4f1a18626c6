import "server-only";
import { and, eq, inArray, sql, type SQL } from "drizzle-orm";
import { z } from "zod";
import { ROLES } from "../db/schema/enums";
import { users } from "../db/schema/users";
import { AppError } from "../core/errors";
import { decodeCursor, isKeyCursor, keysetPage } from "../core/cursor";
import type { Scope } from "../core/scope";
import { assertCan, can, STAFF_ROLES } from "../authz/permissions";
import { zLimit } from "../core/list-page";
import { toUserView, type UserView } from "./user-view";

export const ZListUsers = z.strictObject({
  limit: zLimit,
  cursor: z.string().min(1).max(2048).optional(),
  role: z.enum(ROLES).optional(),
  q: z.string().trim().min(1).max(100).optional(),
});
export type ListUsers = z.infer<typeof ZListUsers>;

/**
 * Admins list everyone in the org; agents list agents and admins (SPEC §6, assignee pickers). An
 * agent asking for customers is told so (403) rather than handed an empty page; staff screens name
 * customers through the people directory (lookup-users.ts, docs/decisions/017).
 */
export async function listUsers(scope: Scope, q: ListUsers): Promise<{ data: UserView[]; nextCursor: string | null }> {
  assertCan(scope.user, "users.list");
  const where: SQL[] = [];
  if (!can(scope.user, "users.list.customers")) {
    if (q.role === "customer") {
      throw new AppError("forbidden", "agents may list agents and admins only", { reason: "customers_not_listable" });
    }
    where.push(inArray(users.role, [...STAFF_ROLES]));
  }
  if (q.role) where.push(eq(users.role, q.role));
  if (q.q) {
    const like = `%${q.q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    where.push(sql`(${users.email} ilike ${like} or ${users.name} ilike ${like})`);
  }
  if (q.cursor) {
    const c = decodeCursor("users", q.cursor, isKeyCursor, q);
    where.push(sql`(lower(${users.email}), ${users.id}) > (${c.v}, ${c.id}::uuid)`);
  }
  const rows = await scope.tx
    .select()
    .from(users)
    .where(and(...where))
    .orderBy(sql`lower(${users.email})`, users.id)
    .limit(q.limit + 1);
  const { rows: pageRows, nextCursor } = keysetPage(
    "users",
    rows,
    q.limit,
    (last) => ({ v: last.email.toLowerCase(), id: last.id }),
    q,
  );
  return {
    data: pageRows.map(toUserView),
    nextCursor,
  };
}
