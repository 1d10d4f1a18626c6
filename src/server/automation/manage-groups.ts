import "server-only";
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Scope } from "../core/scope";
import { AppError, notFound } from "../core/errors";
import { groupMembers, groups } from "../db/schema/automation";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { assertCan } from "../authz/permissions";
import { assertId, invalid, parseOr400 } from "./validate-rule";
import { one } from "../core/one";

// Agent groups (teams): admins shape them; agents read them and mark themselves away.

export const ZGroupInput = z.strictObject({
  name: z.string().trim().min(1).max(100),
  memberIds: z.array(z.uuid()).max(500).optional(),
});
export type GroupInput = z.infer<typeof ZGroupInput>;
export type GroupView = { id: string; name: string; members: { userId: string; away: boolean }[]; createdAt: string };

const audit = (scope: Scope, action: string, id: string, data: Record<string, unknown>) =>
  recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    { action, entityType: "group", entityId: id, data },
  );

export async function listGroups(scope: Scope): Promise<{ data: GroupView[] }> {
  assertCan(scope.user, "users.list");
  const rows = await scope.tx
    .select()
    .from(groups)
    .orderBy(asc(sql`lower(${groups.name})`));
  const members = rows.length
    ? await scope.tx
        .select()
        .from(groupMembers)
        .where(
          inArray(
            groupMembers.groupId,
            rows.map((r) => r.id),
          ),
        )
        .orderBy(asc(groupMembers.userId))
    : [];
  return {
    data: rows.map((g) => ({
      id: g.id,
      name: g.name,
      createdAt: g.createdAt.toISOString(),
      members: members.filter((m) => m.groupId === g.id).map((m) => ({ userId: m.userId, away: m.away })),
    })),
  };
}

export const ZGroupPatch = z
  .strictObject({ name: ZGroupInput.shape.name.optional(), memberIds: ZGroupInput.shape.memberIds })
  .refine((o) => o.name !== undefined || o.memberIds !== undefined, { message: "send at least one field to change" });

export async function getGroup(scope: Scope, id: string): Promise<GroupView> {
  assertCan(scope.user, "users.list");
  assertId(id, "group");
  const g = (await listGroups(scope)).data.find((x) => x.id === id);
  if (!g) throw notFound("group");
  return g;
}

/** Members must be active agents or admins of this org (another org's user is unknown here). */
async function assertStaff(scope: Scope, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  const ok = new Set(
    (
      await scope.tx
        .select({ id: users.id })
        .from(users)
        .where(and(inArray(users.id, [...ids]), inArray(users.role, ["agent", "admin"]), isNull(users.blockedAt)))
    ).map((u) => u.id),
  );
  const bad = ids.map((id, i) => ({ id, i })).filter((x) => !ok.has(x.id));
  if (bad.length)
    throw invalid(
      bad.map((b) => ({
        in: "body",
        path: `memberIds.${b.i}`,
        message: `${b.id} is not an active agent or admin of this organization`,
      })),
    );
}

async function nameTaken(scope: Scope, name: string, exceptId?: string): Promise<void> {
  const [dup] = await scope.tx
    .select({ id: groups.id })
    .from(groups)
    .where(eq(sql`lower(${groups.name})`, name.toLowerCase()))
    .limit(1);
  if (dup && dup.id !== exceptId) throw new AppError("conflict", `a group named "${name}" already exists`);
}

export async function createGroup(scope: Scope, input: unknown): Promise<GroupView> {
  assertCan(scope.user, "org.admin");
  const body = parseOr400(ZGroupInput, input);
  const memberIds = [...new Set(body.memberIds ?? [])];
  await assertStaff(scope, memberIds);
  await nameTaken(scope, body.name);
  const g = one(await scope.tx.insert(groups).values({ orgId: scope.user.orgId, name: body.name }).returning());
  if (memberIds.length)
    await scope.tx
      .insert(groupMembers)
      .values(memberIds.map((userId) => ({ orgId: scope.user.orgId, groupId: g.id, userId })));
  await audit(scope, "group.created", g.id, { name: body.name, memberIds });
  return getGroup(scope, g.id);
}

/** Renames and, when memberIds is given, sets the membership (kept members keep their away flag). */
export async function updateGroup(scope: Scope, id: string, input: unknown): Promise<GroupView> {
  assertCan(scope.user, "org.admin");
  const before = await getGroup(scope, id);
  const body = parseOr400(ZGroupInput, input);
  await nameTaken(scope, body.name, id);
  await scope.tx
    .update(groups)
    .set({ name: body.name, updatedAt: sql`now()` })
    .where(eq(groups.id, id));
  if (body.memberIds) {
    const memberIds = [...new Set(body.memberIds)];
    await assertStaff(scope, memberIds);
    const gone = before.members.map((m) => m.userId).filter((u) => !memberIds.includes(u));
    if (gone.length)
      await scope.tx.delete(groupMembers).where(and(eq(groupMembers.groupId, id), inArray(groupMembers.userId, gone)));
    if (memberIds.length) {
      await scope.tx
        .insert(groupMembers)
        .values(memberIds.map((userId) => ({ orgId: scope.user.orgId, groupId: id, userId })))
        .onConflictDoNothing();
    }
  }
  await audit(scope, "group.updated", id, {
    name: body.name,
    ...(body.memberIds ? { memberIds: body.memberIds } : {}),
  });
  return getGroup(scope, id);
}

/** The API's PATCH: a new name, a new membership (memberIds: the whole list), or both. */
export async function patchGroup(scope: Scope, id: string, input: unknown): Promise<GroupView> {
  assertCan(scope.user, "org.admin");
  const before = await getGroup(scope, id);
  const patch = parseOr400(ZGroupPatch, input);
  return updateGroup(scope, id, {
    name: patch.name ?? before.name,
    ...(patch.memberIds ? { memberIds: patch.memberIds } : {}),
  });
}

export async function deleteGroup(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "org.admin");
  const before = await getGroup(scope, id);
  await scope.tx.delete(groups).where(eq(groups.id, id));
  await audit(scope, "group.deleted", id, { name: before.name });
}

/** Away agents get no tickets from assignment rules. Agents set their own flag; admins anyone's. */
export async function setAway(scope: Scope, groupId: string, userId: string, away: boolean): Promise<GroupView> {
  assertCan(scope.user, "users.list");
  // The group first: one the caller cannot see is a 404 whoever they name.
  const g = await getGroup(scope, groupId);
  if (userId !== scope.user.userId)
    assertCan(scope.user, "org.admin", undefined, "only admins may mark someone else away");
  if (!g.members.some((m) => m.userId === userId)) throw notFound("group member");
  await scope.tx
    .update(groupMembers)
    .set({ away })
    .where(and(eq(groupMembers.groupId, groupId), eq(groupMembers.userId, userId)));
  await audit(scope, "group.member_away", groupId, { userId, away });
  return getGroup(scope, groupId);
}
