import "server-only";
import { and, eq, sql } from "drizzle-orm";
import {
  imports,
  type ImportCheckpoint,
  type ImportCounts,
  type ImportKindCounts,
  type ImportReport,
  type ImportSourceKind,
} from "../db/schema/imports";
import type { Tx } from "../db/tenant";
import { withTenant } from "../db/tenant";
import { AppError } from "../core/errors";
import { isDataError, pgErrorOf } from "../db/pg-error";
import type { SourceRecord } from "./read-records";

export type ImportRow = typeof imports.$inferSelect;

/** Thrown at a batch boundary of an import an admin asked to cancel (decision 062). */
export class ImportCancelled extends Error {
  constructor() {
    super("the import was cancelled");
    this.name = "ImportCancelled";
  }
}

export const DEFAULT_BATCH_SIZE = 200;

/** After each committed batch: the file and record type it came from, how far the file is done, and the counts so far. */
export type ImportProgress = { file: string; type: string; records: number; counts: ImportCounts };
export type ImportRunResult = {
  finished: boolean;
  /** Stopped at a batch boundary because an admin cancelled it; the import is now `cancelled` (finished is true: nothing more will run). */
  cancelled?: boolean;
  counts: ImportCounts;
  report: ImportReport;
  ignoredFiles: string[];
};
export type ImportRunOptions = {
  orgId: string;
  importId: string;
  /** The export as the source produced it: a directory of files, or one file. */
  input: string;
  batchSize?: number;
  /** Stop (resumably) after this many committed batches: an operator's throttle, and how tests interrupt a run. */
  maxBatches?: number;
  onProgress?: (p: ImportProgress) => void;
};

/** Skipped records kept in the report with their source id and why (the counts have them all). */
export const SKIPPED_SAMPLE_MAX = 200;

export async function createImport(
  orgId: string,
  input: {
    sourceKind: ImportSourceKind;
    source: string;
    createdBy: string | null;
    /** The runner's own options (a CSV's column mapping), kept on the row so a resume uses the same ones. */
    options?: Record<string, unknown>;
    inputKey?: string;
    inputBytes?: number;
    state?: "queued" | "running";
  },
): Promise<ImportRow> {
  const [row] = await withTenant(orgId, (tx) =>
    tx
      .insert(imports)
      .values({ orgId, ...input })
      .returning(),
  );
  return row!;
}

/** The org's import by id, or 404 (another org's id finds nothing: RLS and the org filter). */
export async function loadImport(orgId: string, id: string): Promise<ImportRow> {
  const [row] = await withTenant(orgId, (tx) =>
    tx
      .select()
      .from(imports)
      .where(and(eq(imports.orgId, orgId), eq(imports.id, id))),
  );
  if (!row) throw new AppError("not_found", "import not found");
  return row;
}

/** A failed import started again is running again (its last error is kept in the log, not on the row). */
export async function markRunning(orgId: string, id: string): Promise<void> {
  await withTenant(orgId, (tx) =>
    tx
      .update(imports)
      .set({ state: "running", error: null, updatedAt: new Date() })
      .where(and(eq(imports.orgId, orgId), eq(imports.id, id))),
  );
}

export async function finishImport(
  orgId: string,
  id: string,
  state: "done" | "failed" | "cancelled",
  error: string | null = null,
  report?: ImportReport,
): Promise<void> {
  await withTenant(orgId, (tx) =>
    tx
      .update(imports)
      .set({
        state,
        error,
        updatedAt: new Date(),
        finishedAt: state === "failed" ? null : new Date(),
        ...(report ? { report } : {}),
      })
      .where(and(eq(imports.orgId, orgId), eq(imports.id, id))),
  );
}

/**
 * What one batch adds to the import's counts and report, applied to copies: they become the
 * import's only when the batch's transaction commits, so a batch that is retried or lost to a
 * crash is counted once.
 */
export class Tally {
  readonly counts: ImportCounts;
  readonly report: ImportReport;

  constructor(counts: ImportCounts, report: ImportReport) {
    this.counts = structuredClone(counts);
    this.report = structuredClone(report);
  }

  private kind(type: string): ImportKindCounts {
    return (this.counts[type] ??= { source: 0, imported: 0, existing: 0, matched: 0, skipped: {} });
  }

  /** A record read from the source (whatever then becomes of it). */
  source(type: string, n = 1): void {
    this.kind(type).source += n;
  }

  /** Written now; `existing`: mapped by an earlier run; `matched`: an existing Beacon record took it (a user with the same email). */
  add(type: string, outcome: "imported" | "existing" | "matched", n = 1): void {
    this.kind(type)[outcome] += n;
  }

  /**
   * A record not imported, counted under `reason`. `sampled: false` for records that are left out
   * by design rather than for a fault (a Zendesk metric Beacon has no SLA for, a survey offered and
   * never answered): they are counted, but kept out of the sample, which is for what went wrong.
   */
  skip(
    type: string,
    at: { sourceId: string | null; file: string; record: number },
    reason: string,
    detail = reason,
    sampled = true,
  ): void {
    const k = this.kind(type);
    k.skipped[reason] = (k.skipped[reason] ?? 0) + 1;
    if (sampled && this.report.skippedSample.length < SKIPPED_SAMPLE_MAX)
      this.report.skippedSample.push({ type, ...at, reason: detail });
  }

  bytes(type: string, source: number, imported: number): void {
    const b = (this.kind(type).bytes ??= { source: 0, imported: 0 });
    b.source += source;
    b.imported += imported;
  }

  /** Notes that are not skips: "a placeholder email was given to users without one". */
  note(type: string, what: string, n = 1): void {
    const notes = (this.kind(type).notes ??= {});
    notes[what] = (notes[what] ?? 0) + n;
  }
}

/**
 * Runs one batch's writes and moves the import's checkpoint, counts and report in the same tenant
 * transaction: after a crash the checkpoint names exactly the records whose writes committed. The
 * import row is locked first and its checkpoint must still be where this run left it, so two runs
 * of one import cannot interleave.
 */
export async function commitBatch(
  orgId: string,
  importId: string,
  at: { fileKey: string; from: number; to: number },
  tally: Tally,
  write: (tx: Tx) => Promise<void>,
): Promise<void> {
  await withTenant(orgId, async (tx) => {
    const locked = await tx.execute<{ done: number | null; cancel: boolean }>(
      sql`select (checkpoint->'files'->>${at.fileKey})::int as done, cancel_requested_at is not null as cancel
        from imports where org_id = ${orgId} and id = ${importId} for update`,
    );
    if (!locked.rows[0]) throw new AppError("not_found", "import not found");
    // Asked to cancel: this batch is not written (its transaction ends here), so what the import
    // keeps is whole batches, the last one committed before the request.
    if (locked.rows[0].cancel) throw new ImportCancelled();
    if ((locked.rows[0].done ?? 0) !== at.from)
      throw new AppError("conflict", "another run of this import moved its checkpoint");
    await write(tx);
    const checkpoint = sql`jsonb_set(checkpoint, array['files', ${at.fileKey}::text], ${String(at.to)}::jsonb, true)`;
    await tx.execute(sql`update imports set checkpoint = ${checkpoint}, counts = ${JSON.stringify(tally.counts)}::jsonb,
      report = ${JSON.stringify(tally.report)}::jsonb, updated_at = now() where org_id = ${orgId} and id = ${importId}`);
  });
}

export type { ImportCheckpoint };

/**
 * Commits records [from, to) through `attempt` (one transaction each call). A batch the database
 * refuses for its data (a record no check foresaw) is retried record by record, and the record that
 * still fails is committed as skipped with PostgreSQL's words. Anything else (a lost connection, a
 * second run of the import) is thrown, to be resumed: skipping then would lose records that are fine.
 */
export async function commitOrSplit(
  recs: SourceRecord[],
  from: number,
  to: number,
  attempt: (part: SourceRecord[], a: number, b: number, failed?: string) => Promise<void>,
): Promise<void> {
  try {
    await attempt(recs, from, to);
  } catch (err) {
    if (!isDataError(err)) throw err;
    let at = from;
    for (const [i, r] of recs.entries()) {
      const end = i === recs.length - 1 ? to : r.index + 1;
      try {
        await attempt([r], at, end);
      } catch (one) {
        if (!isDataError(one)) throw one;
        await attempt([r], at, end, (pgErrorOf(one)?.message ?? "the database refused the record").slice(0, 300));
      }
      at = end;
    }
  }
}
