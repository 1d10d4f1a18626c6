import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { groupMembers, groups } from "../../db/schema/automation";
import { users } from "../../db/schema/users";
import type { AuditInput } from "../../audit/record-audit";
import type { Tx } from "../../db/tenant";
import { auditImported, firstOfEach, type BatchContext, type BatchRecord } from "../batch";
import { mappedIds, recordIds } from "../id-map";
import { idOf } from "./write-people";
import { describeIssues, ZZendeskGroup, ZZendeskGroupMembership } from "./shapes";

/** Zendesk groups become Beacon groups (teams); a group with the same name already in Beacon takes the record. */
export async function writeGroups(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally, file } = ctx;
  const parsed = [];
  for (const rec of recs) {
    const at = { sourceId: idOf(rec.value), file, record: rec.index };
    const r = ZZendeskGroup.safeParse(rec.value);
    if (!r.success) tally.skip("group", at, describeIssues(r.error).reason, describeIssues(r.error).detail);
    else if (r.data.deleted) tally.skip("group", at, "deleted in Zendesk");
    else parsed.push({ rec, value: r.data });
  }
  const unique = firstOfEach(ctx, "group", parsed);
  const known = await mappedIds(
    tx,
    space,
    "group",
    unique.map((p) => p.value.id),
  );
  tally.add("group", "existing", known.size);
  const fresh = unique.filter((p) => !known.has(p.value.id)).map((p) => p.value);
  if (!fresh.length) return;
  const inserted = await tx
    .insert(groups)
    .values(fresh.map((g) => ({ orgId: space.orgId, name: g.name })))
    .onConflictDoNothing()
    .returning({ id: groups.id, name: groups.name });
  const byName = new Map(inserted.map((g) => [g.name.toLowerCase(), { id: g.id, fresh: true }]));
  const missing = fresh.map((g) => g.name.toLowerCase()).filter((n) => !byName.has(n));
  if (missing.length) {
    for (const g of await tx
      .select({ id: groups.id, name: groups.name })
      .from(groups)
      .where(and(eq(groups.orgId, space.orgId), inArray(sql`lower(${groups.name})`, missing)))) {
      byName.set(g.name.toLowerCase(), { id: g.id, fresh: false });
    }
  }
  const audits: AuditInput[] = [];
  const seen = new Set<string>();
  for (const g of fresh) {
    const hit = byName.get(g.name.toLowerCase())!;
    const isNew = hit.fresh && !seen.has(hit.id);
    seen.add(hit.id);
    tally.add("group", isNew ? "imported" : "matched");
    if (isNew)
      audits.push({
        action: "group.imported",
        entityType: "group",
        entityId: hit.id,
        data: { importId: space.importId, source: space.sourceKind, sourceId: g.id, name: g.name },
      });
  }
  await auditImported(tx, ctx.actor, audits);
  await recordIds(
    tx,
    space,
    "group",
    fresh.map((g) => [g.id, byName.get(g.name.toLowerCase())!.id] as const),
  );
}

/** Group memberships of agents; a membership whose group or user was not imported, or whose user is a customer in Beacon, is skipped with why. */
export async function writeGroupMemberships(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally, file } = ctx;
  const parsed = [];
  for (const rec of recs) {
    const r = ZZendeskGroupMembership.safeParse(rec.value);
    if (!r.success)
      tally.skip(
        "group_membership",
        { sourceId: idOf(rec.value), file, record: rec.index },
        describeIssues(r.error).reason,
        describeIssues(r.error).detail,
      );
    else parsed.push({ rec, value: r.data });
  }
  const unique = firstOfEach(ctx, "group_membership", parsed);
  const known = await mappedIds(
    tx,
    space,
    "group_membership",
    unique.map((p) => p.value.id),
  );
  tally.add("group_membership", "existing", known.size);
  const fresh = unique.filter((p) => !known.has(p.value.id));
  if (!fresh.length) return;
  const groupIds = await mappedIds(
    tx,
    space,
    "group",
    fresh.map((p) => p.value.group_id),
  );
  const userIds = await mappedIds(
    tx,
    space,
    "user",
    fresh.map((p) => p.value.user_id),
  );
  const staff = new Set(
    userIds.size
      ? (
          await tx
            .select({ id: users.id, role: users.role })
            .from(users)
            .where(and(eq(users.orgId, space.orgId), inArray(users.id, [...new Set(userIds.values())])))
        )
          .filter((u) => u.role !== "customer")
          .map((u) => u.id)
      : [],
  );
  const rows: { orgId: string; groupId: string; userId: string }[] = [];
  const pairs: [string, string][] = [];
  for (const { rec, value: m } of fresh) {
    const at = { sourceId: m.id, file, record: rec.index };
    const groupId = groupIds.get(m.group_id);
    const userId = userIds.get(m.user_id);
    if (!groupId) tally.skip("group_membership", at, "its group was not imported");
    else if (!userId) tally.skip("group_membership", at, "its user was not imported");
    else if (!staff.has(userId)) tally.skip("group_membership", at, "its user is not an agent in Beacon");
    else {
      rows.push({ orgId: space.orgId, groupId, userId });
      // A membership maps to its group: the pair is the Beacon row's key.
      pairs.push([m.id, groupId]);
      tally.add("group_membership", "imported");
    }
  }
  if (rows.length) await tx.insert(groupMembers).values(rows).onConflictDoNothing();
  await recordIds(tx, space, "group_membership", pairs);
}
