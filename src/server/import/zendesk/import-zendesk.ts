import "server-only";
import type { Tx } from "../../db/tenant";
import { AppError } from "../../core/errors";
import type { BatchContext, BatchRecord } from "../batch";
import {
  commitBatch,
  DEFAULT_BATCH_SIZE,
  finishImport,
  loadImport,
  markRunning,
  Tally,
  type ImportRunOptions,
  type ImportRunResult,
} from "../import-run";
import { readRecords, type SourceRecord } from "../read-records";
import { zendeskPasses, type SourcePass, type ZendeskType } from "./source-files";
import { idOf, writeOrganizations, writeUsers } from "./write-people";
import { writeTickets } from "./write-tickets";
import { writeTicketFields } from "./write-fields";
import { writeGroupMemberships, writeGroups } from "./write-groups";
import { discardUnusedFiles, fetchTicketFiles } from "./ticket-files";
import { compareTicketSample } from "./ticket-sample";

/** A Zendesk export: a directory of JSON/NDJSON files, or one file. */
export type ZendeskImportOptions = ImportRunOptions;

const WRITERS: Record<ZendeskType, (tx: Tx, ctx: BatchContext, recs: BatchRecord[]) => Promise<void>> = {
  ticket_field: writeTicketFields,
  group: writeGroups,
  organization: writeOrganizations,
  user: writeUsers,
  group_membership: writeGroupMemberships,
  ticket: writeTickets,
};

/**
 * Imports a Zendesk export into one org, in batches, each its own tenant transaction that also
 * moves the import's checkpoint. Started again after any stop (a crash, kill -9, maxBatches), it
 * goes on after the last committed batch; the id map makes even a fresh import of the same export
 * write nothing twice. The input is streamed, so memory holds one batch whatever the export's size.
 */
export async function runZendeskImport(opts: ZendeskImportOptions): Promise<ImportRunResult> {
  const { orgId, importId } = opts;
  const imp = await loadImport(orgId, importId);
  if (imp.sourceKind !== "zendesk")
    throw new AppError("validation_failed", `import ${importId} is a ${imp.sourceKind} import`);
  if (imp.state === "failed") await markRunning(orgId, importId);
  const { passes, ignored } = await zendeskPasses(opts.input);
  let counts = imp.counts;
  let report = imp.report;
  let batches = 0;
  const size = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const ctxBase = {
    space: { orgId, sourceKind: "zendesk" as const, importId },
    actor: { orgId, actorId: imp.createdBy, requestId: `import-${importId}` },
  };

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
        tally.source(pass.type);
        if ("error" in r) tally.skip(pass.type, { sourceId: null, file, record: r.index }, "not valid JSON", r.error);
        else if (failed)
          tally.skip(pass.type, { sourceId: idOf(r.value), file, record: r.index }, "could not be written", failed);
        else good.push(r);
      }
      await commitBatch(orgId, importId, { fileKey: pass.checkpointKey, from: a, to: b }, tally, (tx) =>
        good.length ? WRITERS[pass.type](tx, { ...ctxBase, tally, file, files }, good) : Promise.resolve(),
      );
      counts = tally.counts;
      report = tally.report;
    };
    // A batch's attachments are downloaded before its transaction; whatever no committed row names is removed after.
    const files =
      pass.type === "ticket"
        ? await fetchTicketFiles(
            ctxBase.space,
            recs.filter((r): r is BatchRecord => !("error" in r)),
          )
        : undefined;
    try {
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
            await attempt([r], at, end, dataErrorMessage(one));
          }
          at = end;
        }
      }
    } finally {
      if (files) await discardUnusedFiles(orgId, files).catch(() => undefined);
    }
    batches++;
    opts.onProgress?.({ file, type: pass.type, records: to, counts });
  };

  for (const pass of passes) {
    let from = imp.checkpoint.files[pass.checkpointKey] ?? 0;
    let pending: SourceRecord[] = [];
    for await (const rec of readRecords(pass.file, pass.key, pass.bare)) {
      if (rec.index < from) continue;
      pending.push(rec);
      if (pending.length < size) continue;
      await commit(pass, pending, from, rec.index + 1);
      from = rec.index + 1;
      pending = [];
      if (opts.maxBatches && batches >= opts.maxBatches)
        return { finished: false, counts, report, ignoredFiles: ignored };
    }
    if (pending.length) {
      const to = pending[pending.length - 1]!.index + 1;
      await commit(pass, pending, from, to);
      if (opts.maxBatches && batches >= opts.maxBatches)
        return { finished: false, counts, report, ignoredFiles: ignored };
    }
  }
  // The check report's field-by-field comparison reads the sampled tickets as they are now.
  report = { ...report, ticketSample: await compareTicketSample(orgId, report) };
  await finishImport(orgId, importId, "done", null, report);
  return { finished: true, counts, report, ignoredFiles: ignored };
}

/** PostgreSQL's own words (not drizzle's wrapper, which quotes the whole statement and its parameters). */
function dataErrorMessage(err: unknown): string {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (typeof (e as { code?: unknown }).code === "string" && e instanceof Error) return e.message.slice(0, 300);
  }
  return "the database refused the record";
}

/** The database refused the data itself (SQLSTATE class 22 data exception or 23 constraint violation), wherever drizzle wrapped it. */
function isDataError(err: unknown): boolean {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code)) return true;
  }
  return false;
}
