import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { groupMembers, groups } from "../db/schema/automation";
import { users } from "../db/schema/users";
import type { AuditInput } from "../audit/record-audit";
import type { Tx } from "../db/tenant";
import { auditImported, type BatchContext } from "./batch";
import { recordIds } from "./id-map";

/** Source groups become Beacon groups (teams); a group with the same name already in Beacon takes the record. */
export async function insertGroups(
  tx: Tx,
  ctx: BatchContext,
  rows: { sourceId: string; name: string }[],
): Promise<void> {
  const { space, tally } = ctx;
  if (!rows.length) return;
  const inserted = await tx
    .insert(groups)
    .values(rows.map((g) => ({ orgId: space.orgId, name: g.name })))
    .onConflictDoNothing()
    .returning({ id: groups.id, name: groups.name });
  const byName = new Map(inserted.map((g) => [g.name.toLowerCase(), { id: g.id, fresh: true }]));
  const missing = rows.map((g) => g.name.toLowerCase()).filter((n) => !byName.has(n));
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
  for (const g of rows) {
    const hit = byName.get(g.name.toLowerCase())!;
    const isNew = hit.fresh && !seen.has(hit.id);
    seen.add(hit.id);
    tally.add("group", isNew ? "imported" : "matched");
    if (isNew)
      audits.push({
        action: "group.imported",
        entityType: "group",
        entityId: hit.id,
        data: { importId: space.importId, source: space.sourceKind, sourceId: g.sourceId, name: g.name },
      });
  }
  await auditImported(tx, ctx.actor, audits);
  await recordIds(
    tx,
    space,
    "group",
    rows.map((g) => [g.sourceId, byName.get(g.name.toLowerCase())!.id] as const),
  );
}

/** The Beacon ids of users that are staff (agents or admins): only they may be in a group or be assigned. */
export async function staffIds(tx: Tx, orgId: string, userIds: Iterable<string>): Promise<Set<string>> {
  const ids = [...new Set(userIds)];
  if (!ids.length) return new Set();
  const rows = await tx
    .select({ id: users.id, role: users.role })
    .from(users)
    .where(and(eq(users.orgId, orgId), inArray(users.id, ids)));
  return new Set(rows.filter((u) => u.role !== "customer").map((u) => u.id));
}

/** Memberships of agents in groups (a pair already there is left as it is). */
export async function insertGroupMembers(
  tx: Tx,
  orgId: string,
  rows: { groupId: string; userId: string }[],
): Promise<void> {
  if (rows.length)
    await tx
      .insert(groupMembers)
      .values(rows.map((r) => ({ orgId, ...r })))
      .onConflictDoNothing();
}
