import "server-only";
import { createReadStream } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { readRecords, type SourceRecord } from "./read-records";
import type { SourcePass } from "./run-passes";

/** A record type of a source, the prefix of the files that hold it, and its array key in an API page. */
export type SourceType = { type: string; key: string };

const JSON_EXT = /\.(json|ndjson|jsonl)$/i;

/**
 * The passes an import makes over a file or a directory (read recursively, in name order), one
 * record type after another in the order given: a file named for a type (users.json,
 * tickets-2024.ndjson) holds records of that type, bare, as API pages or one per line. Any other
 * JSON file is, with `unnamed: "pages"`, read as API pages once per type for the arrays it carries
 * (Zendesk's incremental export page with sideloaded users), else not read and listed as ignored.
 * `keyed` types may also come as an object of arrays keyed by a parent id.
 */
export async function sourcePasses(
  input: string,
  types: readonly SourceType[],
  opts: {
    unnamed: "pages" | "ignore";
    keyed?: readonly string[];
    /** Top-level folders of a directory export that hold no records (Zendesk's attachment files), neither read nor listed. */
    skipDirs?: readonly string[];
  },
): Promise<{ passes: SourcePass[]; ignored: string[] }> {
  const root = path.resolve(input);
  const info = await stat(root);
  const skip = new Set((opts.skipDirs ?? []).map((d) => path.join(root, d)));
  const files = info.isDirectory() ? await listFiles(root, skip) : [root];
  const base = info.isDirectory() ? root : path.dirname(root);
  const named = (file: string) => {
    const name = path.basename(file).toLowerCase();
    // The longest prefix wins (ticket_fields before tickets, were both prefixes).
    return [...types].sort((a, b) => b.key.length - a.key.length).find((t) => name.startsWith(t.key));
  };
  const ignored = files
    .filter((f) => !JSON_EXT.test(f) || (opts.unnamed === "ignore" && !named(f)))
    .map((f) => path.relative(base, f));
  const passes: SourcePass[] = [];
  for (const { type, key } of types) {
    for (const file of files) {
      if (!JSON_EXT.test(file)) continue;
      const own = named(file);
      if (own ? own.type !== type : opts.unnamed === "ignore") continue;
      const rel = path.relative(base, file);
      const bare = own?.type === type;
      const keyed = !!opts.keyed?.includes(type);
      passes.push({
        file,
        name: rel,
        type,
        checkpointKey: `${rel}#${type}`,
        // An unnamed page is read once per type: a type whose key it never mentions is not parsed for (a byte scan).
        read: bare ? () => readRecords(file, key, bare, keyed) : () => readMentioned(file, key, keyed),
      });
    }
  }
  return { passes, ignored };
}

/** The records of `key` in an unnamed page file, read only if the file names the key at all. */
async function* readMentioned(file: string, key: string, keyed: boolean): AsyncGenerator<SourceRecord> {
  if (await mentions(file, `"${key}"`)) yield* readRecords(file, key, false, keyed);
}

/** Whether the file's bytes hold `needle` (an ASCII JSON key), streamed with an overlap so a chunk boundary cannot hide it. */
async function mentions(file: string, needle: string): Promise<boolean> {
  const want = Buffer.from(needle);
  let tail: Buffer = Buffer.alloc(0);
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
    const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
    if (buf.includes(want)) return true;
    tail = buf.subarray(Math.max(0, buf.length - want.length + 1));
  }
  return false;
}

async function listFiles(dir: string, skip: ReadonlySet<string> = new Set()): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() && skip.has(full)) continue;
    if (e.isDirectory()) out.push(...(await listFiles(full, skip)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}
