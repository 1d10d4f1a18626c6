import "server-only";
import path from "node:path";
import type { ImportRunOptions, ImportRunResult } from "../import-run";
import { runPasses } from "../run-passes";
import { checkHeader, parseCsvMapping, type CsvMapping } from "./mapping";
import { readCsvHeader, readCsvRows } from "./read-csv";
import { csvRowWriter, csvWantedFiles } from "./write-rows";

/**
 * The mapping of a CSV import checked against the file before anything is written: its shape
 * (parseCsvMapping) and every column it names against the header. The CLI calls it before it
 * records the import; the runner again, for an import started elsewhere.
 */
export async function validateCsvImport(file: string, options: unknown): Promise<CsvMapping> {
  const mapping = parseCsvMapping(options);
  checkHeader(mapping, await readCsvHeader(file, mapping));
  return mapping;
}

/** Imports one CSV file of tickets (and comment rows) into one org, with the mapping kept in the import's options. */
export function runCsvImport(opts: ImportRunOptions): Promise<ImportRunResult> {
  return runPasses(opts, "csv", async (imp) => {
    const mapping = await validateCsvImport(opts.input, imp.options);
    const name = path.basename(opts.input);
    return {
      passes: [
        {
          file: opts.input,
          name,
          type: "ticket",
          checkpointKey: `${name}#row`,
          read: () => readCsvRows(opts.input, mapping),
          unreadable: "not valid CSV",
          countsItsOwn: true,
        },
      ],
      ignored: [],
      writers: { ticket: csvRowWriter(mapping) },
      // An attachments column's URLs are fetched before each batch's transaction, as Zendesk's and Freshdesk's are.
      files: { ticket: { owner: "comment", wanted: csvWantedFiles(mapping) } },
    };
  });
}
