import "server-only";
import { sql } from "drizzle-orm";
import { unsafeWithSystem } from "../db/tenant";
import { storage } from "./configured-storage";
import type { Storage } from "./storage";

/** Objects younger than this are left alone: an upload may be between storing and committing. */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;
const BATCH = 500;

export type SweepResult = {
  scanned: number;
  orphans: number;
  deleted: number;
  tempFilesRemoved: number;
  dryRun: boolean;
};

/**
 * Removes stored attachment bytes that no attachment row names. An upload stores its bytes before
 * the row commits (decision 010), and deletes them again on any failure it lives to see; a process
 * killed in between, or a delete that failed, leaves bytes nobody can reach. Only objects older
 * than `minAgeMs` are candidates, so an upload still on its way to the commit is never touched.
 * Reads every org's attachments (the system path), hence unsafe…; run by the daily `upload-sweep`
 * job and `npm run attachments:sweep`.
 */
export async function unsafeSweepOrphanUploads(
  opts: { minAgeMs?: number; dryRun?: boolean; now?: Date; store?: Storage } = {},
): Promise<SweepResult> {
  const store = opts.store ?? storage();
  const dryRun = opts.dryRun ?? false;
  const before = new Date((opts.now ?? new Date()).getTime() - (opts.minAgeMs ?? ORPHAN_MIN_AGE_MS));
  const result: SweepResult = { scanned: 0, orphans: 0, deleted: 0, tempFilesRemoved: 0, dryRun };
  let batch: string[] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    const keys = batch;
    batch = [];
    // A key names its org (org/<orgId>/<uuid>), so each lookup is an (org_id, storage_key) probe.
    const orgIds = keys.map((k) => k.split("/")[1]!);
    const known = await unsafeWithSystem((tx) =>
      tx.execute<{ storage_key: string }>(sql`
        select a.storage_key from attachments a
        join unnest(${sql.param(orgIds)}::uuid[], ${sql.param(keys)}::text[]) as k(org_id, key)
          on a.org_id = k.org_id and a.storage_key = k.key`),
    );
    const referenced = new Set(known.rows.map((r) => r.storage_key));
    for (const key of keys) {
      if (referenced.has(key)) continue;
      result.orphans++;
      if (!dryRun) {
        await store.delete(key);
        result.deleted++;
      }
    }
  };
  for await (const obj of store.list()) {
    result.scanned++;
    if (obj.modifiedAt >= before) continue;
    batch.push(obj.key);
    if (batch.length >= BATCH) await flush();
  }
  await flush();
  if (!dryRun) result.tempFilesRemoved = await store.removeStaleTemp(before);
  return result;
}
