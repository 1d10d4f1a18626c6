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
