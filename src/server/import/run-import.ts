import "server-only";
import type { ImportSourceKind } from "../db/schema/imports";
import { and, eq, ne, sql } from "drizzle-orm";
import { imports } from "../db/schema/imports";
import { withTenant } from "../db/tenant";
import { ImportCancelled, loadImport, type ImportRunOptions, type ImportRunResult } from "./import-run";
import { runZendeskImport } from "./zendesk/import-zendesk";
import { runBeaconImport } from "./beacon/import-beacon";
import { runFreshdeskImport } from "./freshdesk/import-freshdesk";
import { runCsvImport } from "./csv/import-csv";

export type ImportRunner = (opts: ImportRunOptions) => Promise<ImportRunResult>;

/**
 * One runner per source kind, each resumable from the import's checkpoint (decision 053). The CLI
 * and the import job both start imports here, so a kind added to this table is available to both.
 */
const RUNNERS: Partial<Record<ImportSourceKind, ImportRunner>> = {
  zendesk: runZendeskImport,
  beacon: runBeaconImport,
  freshdesk: runFreshdeskImport,
  csv: runCsvImport,
};

export const RUNNABLE_SOURCE_KINDS = Object.keys(RUNNERS) as ImportSourceKind[];

export function importRunner(kind: ImportSourceKind): ImportRunner | undefined {
  const run = RUNNERS[kind];
  return run && ((opts) => runUnlessCancelled(run, opts));
}

/**
 * Runs an import unless an admin cancelled it (decision 062): a cancel asked before the run
 * starts ends it here, one asked while it runs stops it at the next batch's commit (commitBatch
 * throws ImportCancelled there, the batch unwritten). Either way the import is marked `cancelled`
 * with what it committed, and the result says so (finished: nothing more will run).
 */
async function runUnlessCancelled(run: ImportRunner, opts: ImportRunOptions): Promise<ImportRunResult> {
  const imp = await loadImport(opts.orgId, opts.importId);
  try {
    if (imp.state === "cancelled" || imp.cancelRequestedAt) throw new ImportCancelled();
    return await run(opts);
  } catch (err) {
    if (!(err instanceof ImportCancelled)) throw err;
    return markCancelled(opts.orgId, opts.importId);
  }
}

/** The import is cancelled with the counts and report of the batches it committed (a done import stays done). */
export async function markCancelled(orgId: string, importId: string): Promise<ImportRunResult> {
  const [row] = await withTenant(orgId, (tx) =>
    tx
      .update(imports)
      .set({
        state: "cancelled",
        error: null,
        updatedAt: new Date(),
        finishedAt: sql`coalesce(${imports.finishedAt}, now())`,
      })
      .where(and(eq(imports.orgId, orgId), eq(imports.id, importId), ne(imports.state, "done")))
      .returning(),
  );
  const now = row ?? (await loadImport(orgId, importId));
  return {
    finished: true,
    cancelled: now.state === "cancelled",
    counts: now.counts,
    report: now.report,
    ignoredFiles: [],
  };
}
