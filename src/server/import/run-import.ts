import "server-only";
import type { ImportSourceKind } from "../db/schema/imports";
import type { ImportRunOptions, ImportRunResult } from "./import-run";
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
  return RUNNERS[kind];
}
