import "server-only";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import { readRecords } from "./read-records";
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
  opts: { unnamed: "pages" | "ignore"; keyed?: readonly string[] },
): Promise<{ passes: SourcePass[]; ignored: string[] }> {
  const root = path.resolve(input);
  const info = await stat(root);
  const files = info.isDirectory() ? await listFiles(root) : [root];
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
        read: () => readRecords(file, key, bare, keyed),
      });
    }
  }
  return { passes, ignored };
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(full)));
    else if (e.isFile()) out.push(full);
  }
  return out;
}
