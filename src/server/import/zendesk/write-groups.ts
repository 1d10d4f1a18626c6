import "server-only";
import type { Tx } from "../../db/tenant";
import { parseRecords, unmappedRecords, type BatchContext, type BatchRecord } from "../batch";
import { insertGroupMembers, insertGroups, staffIds } from "../groups";
import { mappedIdsOf, recordIds } from "../id-map";
import { ZZendeskGroup, ZZendeskGroupMembership } from "./shapes";

/** Zendesk groups become Beacon groups (teams); a group with the same name already in Beacon takes the record. */
export async function writeGroups(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { tally, file } = ctx;
  const parsed = parseRecords(ctx, "group", recs, ZZendeskGroup).filter((p) => {
    if (p.value.deleted) tally.skip("group", { sourceId: p.value.id, file, record: p.rec.index }, "deleted in Zendesk");
    return !p.value.deleted;
  });
  const fresh = await unmappedRecords(tx, ctx, "group", parsed);
  await insertGroups(
    tx,
    ctx,
    fresh.map((p) => ({ sourceId: p.value.id, name: p.value.name })),
  );
}

/** Group memberships of agents; a membership whose group or user was not imported, or whose user is a customer in Beacon, is skipped with why. */
export async function writeGroupMemberships(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally, file } = ctx;
  const fresh = await unmappedRecords(
    tx,
    ctx,
    "group_membership",
    parseRecords(ctx, "group_membership", recs, ZZendeskGroupMembership),
  );
  if (!fresh.length) return;
  const { groupIds, userIds } = await mappedIdsOf(tx, space, {
    groupIds: ["group", fresh.map((p) => p.value.group_id)],
    userIds: ["user", fresh.map((p) => p.value.user_id)],
  });
  const staff = await staffIds(tx, space.orgId, userIds.values());
  const rows: { groupId: string; userId: string }[] = [];
  const pairs: [string, string][] = [];
  for (const { rec, value: m } of fresh) {
    const at = { sourceId: m.id, file, record: rec.index };
    const groupId = groupIds.get(m.group_id);
    const userId = userIds.get(m.user_id);
    if (!groupId) tally.skip("group_membership", at, "its group was not imported");
    else if (!userId) tally.skip("group_membership", at, "its user was not imported");
    else if (!staff.has(userId)) tally.skip("group_membership", at, "its user is not an agent in Beacon");
    else {
      rows.push({ groupId, userId });
      // A membership maps to its group: the pair is the Beacon row's key.
      pairs.push([m.id, groupId]);
      tally.add("group_membership", "imported");
    }
  }
  await insertGroupMembers(tx, space.orgId, rows);
  await recordIds(tx, space, "group_membership", pairs);
}
