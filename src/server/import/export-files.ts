import "server-only";
import { createReadStream } from "node:fs";
import { lstat, readdir } from "node:fs/promises";
import path from "node:path";
import { env } from "../env";
import { sanitizeFilename } from "../attachments/filename";
import { storeFileBytes, type FetchedFile } from "./fetch-attachment";
import type { WantedFile } from "./ticket-files";

// Attachments whose bytes come inside the export (decision 061): a Zendesk export zip (or folder)
// may hold each comment attachment as `attachments/<attachment id>/<file name>` beside the JSON.
// Such a file is stored instead of downloading the attachment's URL, under the same rules
// (storeFileBytes: the size limit, the content inspector's sniffing and allow-list, no empty file);
// an attachment whose file is not there falls back to its URL.

/** The export's folder of attachment files, relative to the export's root. */
export const ATTACHMENTS_DIR = "attachments";

/** Source attachment ids are digits (Zendesk's); anything else is never looked up on disk. */
const SAFE_ID = /^\d{1,20}$/;

/**
 * The file of an attachment in `<root>/attachments/<id>/`: the one named as the record names it
 * (sanitized as Beacon stores names), or the folder's only file. Only regular files count (a link
 * is never followed; the zip unpacker refuses links anyway). Null: not in the export.
 */
export async function exportFileOf(root: string, id: string | null, name: string): Promise<string | null> {
  if (!id || !SAFE_ID.test(id)) return null;
  const dir = path.join(root, ATTACHMENTS_DIR, id);
  let entries;
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile());
  } catch {
    return null;
  }
  const wanted = sanitizeFilename(name || "attachment");
  const hit =
    entries.find((e) => e.name === name) ??
    entries.find((e) => sanitizeFilename(e.name) === wanted) ??
    (entries.length === 1 ? entries[0] : undefined);
  return hit ? path.join(dir, hit.name) : null;
}

/** The wanted files of a batch with the export's own files found (only when the export has an attachments folder). */
export async function withExportFiles(root: string | null, wanted: WantedFile[]): Promise<WantedFile[]> {
  if (!root || !wanted.length) return wanted;
  return Promise.all(wanted.map(async (w) => ({ ...w, localPath: await exportFileOf(root, w.attachmentId, w.name) })));
}

/**
 * The folder of the export that holds `attachments/`: the export's root, or the one folder a zip
 * of a folder puts everything in (`export/attachments/…`). Looked up once per run, so exports
 * without attachment files pay nothing per batch. Null: the export has none.
 */
export async function exportFilesRoot(input: string): Promise<string | null> {
  let dir = path.resolve(input);
  for (let depth = 0; depth < 3; depth++) {
    try {
      if (!(await lstat(dir)).isDirectory()) return null;
      const entries = await readdir(dir, { withFileTypes: true });
      if (entries.some((e) => e.isDirectory() && e.name === ATTACHMENTS_DIR)) return dir;
      const visible = entries.filter((e) => !e.name.startsWith("."));
      if (visible.length !== 1 || !visible[0]!.isDirectory()) return null;
      dir = path.join(dir, visible[0]!.name);
    } catch {
      return null;
    }
  }
  return null;
}

/** An attachment's file from the export into storage, under the rules of an upload; a refusal is an answer with why. */
export async function storeExportFile(orgId: string, file: string, name: string): Promise<FetchedFile> {
  const filename = sanitizeFilename(name || path.basename(file));
  const max = env().ATTACHMENT_MAX_BYTES;
  try {
    const info = await lstat(file);
    if (!info.isFile()) return { ok: false, reason: "not a file in the export", detail: filename };
    if (info.size > max)
      return {
        ok: false,
        reason: "larger than the attachment size limit",
        detail: `${filename}: ${info.size} bytes, the limit is ${max}`,
      };
    return await storeFileBytes(orgId, filename, createReadStream(file), max);
  } catch (err) {
    return {
      ok: false,
      reason: "could not be read from the export",
      detail: `${filename}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}
