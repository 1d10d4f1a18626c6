import "server-only";
import type { ImportSourceKind } from "../db/schema/imports";
import type { Tx } from "../db/tenant";
import { AppError } from "../core/errors";
import type { BatchContext, BatchRecord } from "./batch";
import type { IdSpace } from "./id-map";
import {
  commitBatch,
  commitOrSplit,
  DEFAULT_BATCH_SIZE,
  finishImport,
  loadImport,
  markRunning,
  Tally,
  type ImportRow,
  type ImportRunOptions,
  type ImportRunResult,
} from "./import-run";
import type { SourceRecord } from "./read-records";
import { idOf } from "./record-shape";
import { compareTicketSample } from "./ticket-sample";
import { discardUnusedFiles, fetchTicketFiles, type WantedFile } from "./ticket-files";

/** One pass over one file for one record type; `checkpointKey` names it in the import's checkpoint. */
export type SourcePass = {
  file: string;
  name: string;
  type: string;
  checkpointKey: string;
  /** The file's records of the type, streamed, each with its position (what the checkpoint counts). */
  read: () => AsyncIterable<SourceRecord>;
  /** The report's reason for a record the reader could not read ("not valid JSON" unless said). */
  unreadable?: string;
  /** The writer counts what the records are (a CSV row is a ticket or a comment), so the loop does not count each as one of `type`. */
  countsItsOwn?: boolean;
};

export type BatchWriter = (tx: Tx, ctx: BatchContext, recs: BatchRecord[]) => Promise<void>;

/** What a source's runner brings: its passes in order, a writer per record type, and the attachments a type's batch fetches. */
export type ImportPlan = {
  passes: SourcePass[];
  ignored: string[];
  writers: Record<string, BatchWriter>;
  /** Attachments to download before a batch's transaction, and what they belong to (a ticket, or a comment written alone). */
  files?: Record<
    string,
    { owner: "ticket" | "comment"; wanted: (recs: BatchRecord[]) => WantedFile[] | Promise<WantedFile[]> }
  >;
  /**
   * Work a type's writer will do that needs no database (shape checks, rendering), done on the
   * next batch while the one before it is written, and found done by the writer (parse-once.ts,
   * renderAhead). Pure: a batch prepared and never written changes nothing.
   */
  prepare?: Record<string, (recs: BatchRecord[]) => void>;
};

/**
 * Runs an import of one org, in batches, each its own tenant transaction that also moves the
 * import's checkpoint (decision 053). Started again after any stop (a crash, kill -9,
 * maxBatches), it goes on after the last committed batch; the id map makes even a fresh import of
 * the same export write nothing twice. The input is streamed, so memory holds one batch whatever
 * the export's size. `plan` is built from the import row, so a resumed run has the options the
 * import started with.
 */
export async function runPasses(
  opts: ImportRunOptions,
  kind: ImportSourceKind,
  plan: (imp: ImportRow) => Promise<ImportPlan>,
): Promise<ImportRunResult> {
  const { orgId, importId } = opts;
  const imp = await loadImport(orgId, importId);
  if (imp.sourceKind !== kind)
    throw new AppError("validation_failed", `import ${importId} is a ${imp.sourceKind} import`);
  const { passes, ignored, writers, files: fileSpec, prepare } = await plan(imp);
  if (imp.state === "failed") await markRunning(orgId, importId);
  let counts = imp.counts;
  let report = imp.report;
  let batches = 0;
  const size = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const space: IdSpace = { orgId, sourceKind: kind, importId };
  const actor = { orgId, actorId: imp.createdBy, requestId: `import-${importId}` };

  // Commits records [from, to) of a pass. A batch the database refuses for its data (a record no
  // check foresaw) is retried record by record, and the one that still fails is skipped with why.
  // Anything else (a lost connection, a second run) stops the import, to be resumed: skipping then
  // would lose records that are fine.
  const commit = async (pass: SourcePass, recs: SourceRecord[], from: number, to: number): Promise<void> => {
    const file = pass.name;
    const attempt = async (part: SourceRecord[], a: number, b: number, failed?: string) => {
      const tally = new Tally(counts, report);
      const good: BatchRecord[] = [];
      for (const r of part) {
        if (!pass.countsItsOwn || "error" in r || failed) tally.source(pass.type);
        if ("error" in r)
          tally.skip(
            pass.type,
            { sourceId: null, file, record: r.index },
            pass.unreadable ?? "not valid JSON",
            r.error,
          );
        else if (failed)
          tally.skip(pass.type, { sourceId: idOf(r.value), file, record: r.index }, "could not be written", failed);
        else good.push(r);
      }
      await commitBatch(orgId, importId, { fileKey: pass.checkpointKey, from: a, to: b }, tally, (tx) =>
        good.length ? writers[pass.type]!(tx, { space, actor, tally, file, files }, good) : Promise.resolve(),
      );
      counts = tally.counts;
      report = tally.report;
    };
    // A batch's attachments are downloaded before its transaction; whatever no committed row names is removed after.
    const spec = fileSpec?.[pass.type];
    const files = spec
      ? await fetchTicketFiles(
          space,
          await spec.wanted(recs.filter((r): r is BatchRecord => !("error" in r))),
          spec.owner,
        )
      : undefined;
    try {
      await commitOrSplit(recs, from, to, attempt);
    } finally {
      if (files) await discardUnusedFiles(orgId, files).catch(() => undefined);
    }
    batches++;
    opts.onProgress?.({ file, type: pass.type, records: to, counts });
  };

  // One batch is read (and prepared) while the one before it is written: the records' JSON and
  // shape checks take this process's core while PostgreSQL works on the previous batch's rows in
  // its own. Batches still commit one after another, in order, so the checkpoint moves as before.
  const writing: { batch: Promise<void> | null } = { batch: null };
  const settle = async () => {
    const p = writing.batch;
    writing.batch = null;
    await p;
  };
  const start = (pass: SourcePass, recs: SourceRecord[], from: number, to: number) => {
    writing.batch = commit(pass, recs, from, to);
    // Its error is thrown where it is awaited (settle); until then it must not count as unhandled.
    void writing.batch.catch(() => undefined);
  };
  const stopped = () => !!opts.maxBatches && batches >= opts.maxBatches;
  try {
    for (const pass of passes) {
      let from = imp.checkpoint.files[pass.checkpointKey] ?? 0;
      let pending: SourceRecord[] = [];
      for await (const rec of pass.read()) {
        if (rec.index < from) continue;
        pending.push(rec);
        if (pending.length < size) continue;
        prepare?.[pass.type]?.(pending.filter((r): r is BatchRecord => !("error" in r)));
        await settle();
        if (stopped()) return { finished: false, counts, report, ignoredFiles: ignored };
        start(pass, pending, from, rec.index + 1);
        from = rec.index + 1;
        pending = [];
      }
      if (pending.length) {
        await settle();
        if (stopped()) return { finished: false, counts, report, ignoredFiles: ignored };
        start(pass, pending, from, pending[pending.length - 1]!.index + 1);
      }
    }
    await settle();
    if (stopped()) return { finished: false, counts, report, ignoredFiles: ignored };
  } finally {
    // A read that failed while a batch was being written: that batch ends (committed or not) before the run does.
    await writing.batch?.catch(() => undefined);
  }
  // The check report's field-by-field comparison reads the sampled tickets as they are now.
  report = { ...report, ticketSample: await compareTicketSample(orgId, report) };
  await finishImport(orgId, importId, "done", null, report);
  return { finished: true, counts, report, ignoredFiles: ignored };
}
