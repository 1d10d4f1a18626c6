import "server-only";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { Readable } from "node:stream";
import { parse } from "csv-parse";
import { AppError } from "../../core/errors";
import type { SourceRecord } from "../read-records";
import type { CsvMapping } from "./mapping";

/** A data row: its line in the file, its cells by header name, how many cells it had, and a hash of them (the id of a row without an external id). */
export type CsvRow = { line: number; cells: Record<string, string>; width: number; hash: string };

/** The file's bytes as text in the mapping's encoding; bytes that are not valid UTF-8 become U+FFFD, not an error. */
async function* decoded(file: string, encoding: CsvMapping["encoding"]): AsyncGenerator<string> {
  // A UTF-8 byte order mark is dropped whatever the encoding (spreadsheets write one; in windows-1252 it would read "ï»¿").
  const decoder = new TextDecoder(encoding, { ignoreBOM: false });
  let first = true;
  for await (const chunk of createReadStream(file)) {
    let bytes = chunk as Buffer;
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    first = false;
    yield decoder.decode(bytes, { stream: true });
  }
  const rest = decoder.decode();
  if (rest) yield rest;
}

function parser(m: CsvMapping) {
  // Rows of another width are reported by the importer, not thrown; a stray quote inside a cell is text.
  return parse({
    delimiter: m.delimiter,
    bom: true,
    relax_column_count: true,
    relax_quotes: true,
    skip_empty_lines: true,
    info: true,
  });
}

type Parsed = { record: string[]; info: { lines: number } };

/** The header row, to check the mapping against before anything is written. */
export async function readCsvHeader(file: string, m: CsvMapping): Promise<string[]> {
  const p = Readable.from(decoded(file, m.encoding)).pipe(parser(m));
  try {
    for await (const r of p as AsyncIterable<Parsed>) return r.record.map((h) => h.trim());
  } catch (err) {
    throw new AppError("validation_failed", `the file's header is not valid CSV: ${(err as Error).message}`);
  } finally {
    p.destroy();
  }
  throw new AppError("validation_failed", "the CSV file is empty: it has no header row");
}

/**
 * The data rows of a CSV file, streamed (memory holds one row): a quoted cell may span lines.
 * Index 0 is the first row after the header, what the checkpoint counts. A file that stops being
 * CSV (a quote never closed) ends with one error naming where, since nothing after it can be trusted.
 */
export async function* readCsvRows(file: string, m: CsvMapping): AsyncGenerator<SourceRecord> {
  const p = Readable.from(decoded(file, m.encoding)).pipe(parser(m));
  let header: string[] | null = null;
  let index = 0;
  try {
    for await (const { record, info } of p as AsyncIterable<Parsed>) {
      if (!header) {
        header = record.map((h) => h.trim());
        continue;
      }
      const cells: Record<string, string> = {};
      // A quoted cell's line breaks as the file wrote them (CRLF from spreadsheets) become \n.
      header.forEach((h, i) => (cells[h] = (record[i] ?? "").replaceAll("\u0000", "").replace(/\r\n?/g, "\n")));
      const hash = createHash("sha256").update(JSON.stringify(record)).digest("hex").slice(0, 16);
      const row: CsvRow = { line: info.lines, cells, width: record.length, hash };
      yield { index: index++, value: { ...row, headerWidth: header.length } };
    }
  } catch (err) {
    yield { index, error: `the file is not valid CSV after row ${index}: ${(err as Error).message}` };
  } finally {
    p.destroy();
  }
}
