import "server-only";
import type { Tx } from "../../db/tenant";
import { parseRecords, unmappedRecords, type BatchContext, type BatchRecord } from "../batch";
import { insertGroupMembers, insertGroups, staffIds } from "../groups";
import { mappedIds } from "../id-map";
import { ZFreshdeskGroup } from "./shapes";

/**
 * Freshdesk groups become Beacon groups (a same-named group is matched), with their agents
 * (agent_ids) as members: groups are read after agents, so the agents are there to be members.
 */
export async function writeGroups(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const { space, tally } = ctx;
  const fresh = await unmappedRecords(tx, ctx, "group", parseRecords(ctx, "group", recs, ZFreshdeskGroup));
  await insertGroups(
    tx,
    ctx,
    fresh.map((p) => ({ sourceId: p.value.id, name: p.value.name })),
  );
  const groupIds = await mappedIds(
    tx,
    space,
    "group",
    fresh.map((p) => p.value.id),
  );
  const agentIds = fresh.flatMap((p) => p.value.agent_ids ?? []);
  const users = await mappedIds(tx, space, "user", agentIds);
  const staff = await staffIds(tx, space.orgId, users.values());
  const members: { groupId: string; userId: string }[] = [];
  for (const { value: g } of fresh) {
    for (const a of g.agent_ids ?? []) {
      const userId = users.get(a);
      if (userId && staff.has(userId)) members.push({ groupId: groupIds.get(g.id)!, userId });
      else tally.note("group", "a member agent not imported as an agent: left out of the group");
    }
  }
  await insertGroupMembers(tx, space.orgId, members);
}
