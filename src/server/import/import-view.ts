import "server-only";
import path from "node:path";
import type { ImportRow } from "./import-run";
import { progressOf, type ImportView } from "./schemas";

export function toImportView(row: ImportRow): ImportView {
  return {
    id: row.id,
    sourceKind: row.sourceKind,
    state: row.state,
    // The CLI records the operator's full path; the org's admins need only the name.
    source: path.basename(row.source),
    inputBytes: row.inputBytes,
    options: row.options,
    counts: row.counts,
    progress: progressOf(row.counts),
    error: row.error,
    cancelRequestedAt: row.cancelRequestedAt?.toISOString() ?? null,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    finishedAt: row.finishedAt?.toISOString() ?? null,
  };
}
