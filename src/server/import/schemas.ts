import { z } from "zod";
import { IMPORT_SOURCE_KINDS, importState, type ImportCounts, type ImportReport } from "../db/schema/imports";

// The import resource over HTTP (decision 055): what GET /imports and /imports/{id} answer, and the
// check report of GET /imports/{id}/report.

const ZKindCounts = z.object({
  source: z.number().int(),
  imported: z.number().int(),
  existing: z.number().int(),
  matched: z.number().int(),
  skipped: z.record(z.string(), z.number().int()).meta({ description: "Skipped records by reason" }),
  bytes: z.object({ source: z.number(), imported: z.number() }).optional(),
  notes: z.record(z.string(), z.number().int()).optional(),
});

export const ZImportCounts = z.record(z.string(), ZKindCounts).meta({
  description: "Per record type (user, organization, ticket, comment …): what the source held and what became of it",
});

export const ZImportProgress = z
  .object({
    /** Source records read and settled so far (imported, already there, matched or skipped), nested ones (comments) included. */
    records: z.number().int(),
    imported: z.number().int(),
    skipped: z.number().int(),
  })
  .meta({ description: "How far the import is: the sums of its counts, committed with each batch" });

export const ZImport = z.object({
  id: z.uuid(),
  sourceKind: z.enum(IMPORT_SOURCE_KINDS),
  state: z.enum(importState.enumValues).meta({
    description:
      "queued, running, done, failed (may be replayed), or cancelled (stopped at a batch boundary; what it imported stays)",
  }),
  /** The uploaded file's name (or the CLI's path). */
  source: z.string(),
  inputBytes: z.number().int().nullable(),
  options: z.record(z.string(), z.unknown()),
  counts: ZImportCounts,
  progress: ZImportProgress,
  /** Why the import stopped, when it failed (it may still be retried). */
  error: z.string().nullable(),
  /** When an admin asked to cancel it; a running import stops at its next batch and becomes cancelled. */
  cancelRequestedAt: z.iso.datetime().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
  finishedAt: z.iso.datetime().nullable(),
});
export type ImportView = z.infer<typeof ZImport>;

const ZSampleTicket = z.object({
  sourceId: z.string(),
  ticketId: z.string(),
  source: z.record(z.string(), z.unknown()),
  compared: z.record(z.string(), z.object({ source: z.unknown(), beacon: z.unknown(), equal: z.boolean() })).optional(),
});

export const ZImportReport = z.object({
  importId: z.uuid(),
  state: z.enum(importState.enumValues),
  counts: ZImportCounts,
  skippedSample: z
    .array(
      z.object({
        type: z.string(),
        sourceId: z.string().nullable(),
        file: z.string(),
        record: z.number().int(),
        reason: z.string(),
      }),
    )
    .meta({ description: "The first skipped records (at most 200) with their file, position and why" }),
  ticketSample: z.array(ZSampleTicket).meta({
    description: "The first imported tickets, compared field by field with what Beacon holds once the run ended",
  }),
});
export type ImportReportView = z.infer<typeof ZImportReport>;

export const ZReportQuery = z.strictObject({
  format: z
    .enum(["json", "text"])
    .optional()
    .meta({ description: "json (default) or text: the same text `npm run import` prints" }),
});

/** What the counts say about how far an import is. */
export function progressOf(counts: ImportCounts): z.infer<typeof ZImportProgress> {
  let records = 0;
  let imported = 0;
  let skipped = 0;
  for (const c of Object.values(counts)) {
    records += c.source;
    imported += c.imported;
    skipped += Object.values(c.skipped).reduce((a, b) => a + b, 0);
  }
  return { records, imported, skipped };
}

export type { ImportCounts, ImportReport };
