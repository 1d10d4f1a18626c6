import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { importIdMap, type ImportSourceKind } from "../db/schema/imports";
import type { Tx } from "../db/tenant";
import { wellFormed } from "./record-shape";

/** Where a source's ids are kept: one org, one source kind (zendesk ids are not freshdesk ids). */
export type IdSpace = { orgId: string; sourceKind: ImportSourceKind; importId: string };

/** The Beacon ids of the source ids already imported into the org, of one type (user, ticket …). */
export async function mappedIds(
  tx: Tx,
  space: IdSpace,
  sourceType: string,
  sourceIds: Iterable<string>,
): Promise<Map<string, string>> {
  const ids = [...new Set(sourceIds)];
  if (!ids.length) return new Map();
  const rows = await tx
    .select({ sourceId: importIdMap.sourceId, beaconId: importIdMap.beaconId })
    .from(importIdMap)
    .where(
      and(
        eq(importIdMap.orgId, space.orgId),
        eq(importIdMap.sourceKind, space.sourceKind),
        eq(importIdMap.sourceType, sourceType),
        inArray(importIdMap.sourceId, ids),
      ),
    );
  return new Map(rows.map((r) => [r.sourceId, r.beaconId]));
}

/**
 * mappedIds for several kinds of reference at once (a comment's ticket and author), in one
 * statement: `want` names each map the caller gets back, with the source type and ids it holds.
 * Ids that are null, empty or not mapped are simply absent from their map.
 */
export async function mappedIdsOf<K extends string>(
  tx: Tx,
  space: IdSpace,
  want: Record<K, [sourceType: string, sourceIds: Iterable<string | null | undefined>]>,
): Promise<Record<K, Map<string, string>>> {
  const names = Object.keys(want) as K[];
  const types: string[] = [];
  const ids: string[] = [];
  for (const type of new Set(names.map((n) => want[n][0]))) {
    const all = new Set<string>();
    for (const n of names) if (want[n][0] === type) for (const id of want[n][1]) if (id) all.add(id);
    for (const id of all) {
      types.push(type);
      ids.push(id);
    }
  }
  const byType = new Map<string, Map<string, string>>();
  if (ids.length) {
    const rows = await tx.execute<{ source_type: string; source_id: string; beacon_id: string }>(sql`
      select m.source_type, m.source_id, m.beacon_id::text as beacon_id
      from unnest(${sql.param(types)}::text[], ${sql.param(ids)}::text[]) as w(source_type, source_id)
      join import_id_map m on m.org_id = ${space.orgId} and m.source_kind = ${space.sourceKind}
        and m.source_type = w.source_type and m.source_id = w.source_id`);
    for (const r of rows.rows) {
      let m = byType.get(r.source_type);
      if (!m) byType.set(r.source_type, (m = new Map()));
      m.set(r.source_id, r.beacon_id);
    }
  }
  return Object.fromEntries(names.map((n) => [n, byType.get(want[n][0]) ?? new Map()])) as Record<
    K,
    Map<string, string>
  >;
}

/**
 * Records source id → Beacon id in the transaction that wrote the records. No ON CONFLICT: a
 * source id mapped twice means two runs raced past the checkpoint lock, and the batch must fail
 * rather than leave a second copy. The pairs go as one JSON parameter, not six per row: building
 * and sending thousands of parameters was a tenth of an import's CPU (decision 060).
 */
export async function recordIds(
  tx: Tx,
  space: IdSpace,
  sourceType: string,
  pairs: readonly (readonly [string, string])[],
): Promise<void> {
  if (!pairs.length) return;
  await tx.execute(sql`insert into import_id_map (org_id, source_kind, source_type, source_id, beacon_id, import_id)
    select ${space.orgId}::uuid, ${space.sourceKind}::import_source_kind, ${sourceType}, p->>0, (p->>1)::uuid, ${space.importId}::uuid
    from jsonb_array_elements(${JSON.stringify(pairs.map(([s, b]) => [wellFormed(s), b]))}::jsonb) as p`);
}
