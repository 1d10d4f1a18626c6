import "server-only";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";

/** The record types of a Zendesk export, in the order they are imported (tickets name fields, groups and users; memberships name groups and users). */
export const ZENDESK_TYPES = [
  { type: "ticket_field", key: "ticket_fields" },
  { type: "group", key: "groups" },
  { type: "organization", key: "organizations" },
  { type: "user", key: "users" },
  { type: "group_membership", key: "group_memberships" },
  { type: "ticket", key: "tickets" },
] as const;
export type ZendeskType = (typeof ZENDESK_TYPES)[number]["type"];

/** One pass over one file for one record type; `checkpointKey` names it in the import's checkpoint. */
export type SourcePass = {
  file: string;
  name: string;
  type: ZendeskType;
  key: string;
  bare: boolean;
  checkpointKey: string;
};

const JSON_EXT = /\.(json|ndjson|jsonl)$/i;

/**
 * The passes an import makes over a file or a directory (read recursively, in name order): a file
 * named for a type (users.json, tickets-2024.ndjson) holds records of that type, bare or as an API
 * page; any other JSON file is read as API pages, once per type, for the arrays it carries
 * (an incremental export page with sideloaded users and organizations).
 */
export async function zendeskPasses(input: string): Promise<{ passes: SourcePass[]; ignored: string[] }> {
  const root = path.resolve(input);
  const info = await stat(root);
  const files = info.isDirectory() ? await listFiles(root) : [root];
  const base = info.isDirectory() ? root : path.dirname(root);
  const ignored: string[] = [];
  const passes: SourcePass[] = [];
  for (const { type, key } of ZENDESK_TYPES) {
    for (const file of files) {
      const name = path.basename(file).toLowerCase();
      if (!JSON_EXT.test(name)) {
        if (type === ZENDESK_TYPES[0].type) ignored.push(path.relative(base, file));
        continue;
      }
      const named = ZENDESK_TYPES.find((t) => name.startsWith(t.key));
      if (named && named.type !== type) continue;
      const rel = path.relative(base, file);
      passes.push({ file, name: rel, type, key, bare: named?.type === type, checkpointKey: `${rel}#${type}` });
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
