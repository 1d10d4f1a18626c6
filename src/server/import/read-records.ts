import "server-only";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { pipeline } from "node:stream";
import pick from "stream-json/filters/pick.js";
import streamValues from "stream-json/streamers/stream-values.js";

/** One input record: its position in the file (what the checkpoint counts) and its value, or why it could not be read. */
export type SourceRecord = { index: number; value: unknown } | { index: number; error: string };

const PEEK_BYTES = 64 * 1024;

/**
 * Whether a file is newline-delimited JSON (one record per line, as Zendesk's account JSON export
 * writes tickets and users) or one JSON document (an array of records, or an API page such as
 * `{"tickets": [...], "users": [...], "end_of_stream": true}`). Only the first line is looked at.
 */
export async function isNdjson(file: string, arrayKeys: readonly string[], keyed = false): Promise<boolean> {
  const ext = path.extname(file).toLowerCase();
  if (ext === ".ndjson" || ext === ".jsonl") return true;
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(PEEK_BYTES);
    const { bytesRead } = await fh.read(buf, 0, PEEK_BYTES, 0);
    const head = buf
      .subarray(0, bytesRead)
      .toString("utf8")
      .replace(/^\uFEFF/, "")
      .trimStart();
    if (!head.startsWith("{")) return false;
    const nl = head.indexOf("\n");
    if (nl < 0) return false;
    const line = head.slice(0, nl).trim();
    try {
      const first = JSON.parse(line) as Record<string, unknown>;
      // A one-line API page is a document whose records sit under its keys, not a record itself.
      if (arrayKeys.some((k) => Array.isArray(first[k]))) return false;
      // Nor is a one-line object of arrays keyed by a parent id ({"42": [conversations of ticket 42]}).
      const values = Object.values(first);
      return !(keyed && values.length && values.every(Array.isArray));
    } catch {
      // A pretty-printed document's first line is "{"; a broken first record of NDJSON still ends its line with "}".
      return line.length > 1 && line.endsWith("}");
    }
  } finally {
    await fh.close();
  }
}

/**
 * The records of one kind in a file, streamed: memory holds one record at a time whatever the
 * file's size. `key` is the kind's array key in an API page (`tickets`); `bare` says that the file
 * is named for the kind, so a top-level array or NDJSON lines are records of it too. A line that is
 * not JSON is yielded as an error and reading goes on; a document that stops being JSON ends with
 * one error naming where, since nothing after it can be trusted. `keyed`: the records may also be
 * in arrays under numeric keys of an object (per-ticket API answers saved keyed by the ticket id).
 */
export async function* readRecords(
  file: string,
  key: string,
  bare: boolean,
  keyed = false,
): AsyncGenerator<SourceRecord> {
  if (bare && (await isNdjson(file, [key], keyed))) {
    yield* readNdjson(file);
    return;
  }
  // Records are the elements of `key`'s array in each top-level value (several pages, one per
  // line, are read alike), or, for a file named for the kind, of a top-level array.
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  const filter = keyed
    ? // The stack tells an array's index (a number) from an object's key: {"42": [...]} is a parent id, not a record.
      (stack: (string | number | null)[]) =>
        stack.length === 1
          ? bare && typeof stack[0] === "number"
          : stack.length === 2 &&
            typeof stack[1] === "number" &&
            (stack[0] === key || (bare && typeof stack[0] === "string" && /^\d+$/.test(stack[0])))
    : bare
      ? new RegExp(`^(?:${escaped}\\.)?\\d+$`)
      : new RegExp(`^${escaped}\\.\\d+$`);
  // pipeline (not .pipe) so a parse error reaches the loop below instead of being thrown unhandled.
  const stream = pipeline(
    createReadStream(file),
    pick.withParserAsStream({ filter, jsonStreaming: true }),
    streamValues.asStream(),
    () => undefined,
  );
  let index = 0;
  try {
    for await (const item of stream as AsyncIterable<{ value: unknown }>) yield { index: index++, value: item.value };
  } catch (err) {
    yield {
      index,
      error: `the file is not valid JSON after record ${index}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

async function* readNdjson(file: string): AsyncGenerator<SourceRecord> {
  const lines = readline.createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let index = 0;
  for await (const raw of lines) {
    const line = index === 0 ? raw.replace(/^\uFEFF/, "").trim() : raw.trim();
    if (!line) continue;
    try {
      yield { index, value: JSON.parse(line) as unknown };
    } catch {
      yield { index, error: "the line is not JSON" };
    }
    index++;
  }
}
