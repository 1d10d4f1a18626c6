import "server-only";
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import yauzl from "yauzl";
import { AppError } from "../../core/errors";

// A .zip of an export directory (decision 055). yauzl reads the central directory (the list a zip
// ends with) rather than trusting the local headers in the stream, and checks every entry's real
// size against the one declared there, so the limits below hold for what is actually written.

/** Entries a zip may hold, directories included. */
export const ZIP_MAX_ENTRIES = 10_000;

export type ZipLimits = { maxEntries: number; maxUnzippedBytes: number };

/** The first bytes of a zip (a local file header, or the end record of an empty archive). */
export function looksLikeZip(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 3 || head[2] === 5);
}

const refused = (message: string) => new AppError("validation_failed", `the zip was refused: ${message}`);

/**
 * What an entry's name means: `undefined` for entries that are skipped (directories, macOS
 * resource forks `__MACOSX/`, dot files), else its path inside the export. Absolute names, drive
 * letters, backslashes and `..` segments are refused: extracted, they would land outside the directory.
 */
export function entryPath(name: string): string | undefined {
  if (name.startsWith("/") || /^[a-zA-Z]:/.test(name) || name.includes("\\") || name.includes("\0"))
    throw refused(`entry "${name.slice(0, 200)}" has an absolute or non-portable name`);
  const segments = name.split("/");
  if (segments.some((s) => s === ".." || s === "."))
    throw refused(`entry "${name.slice(0, 200)}" climbs out of the export (a ".." segment)`);
  if (name.endsWith("/")) return undefined;
  if (segments.some((s) => s === "__MACOSX" || s.startsWith("."))) return undefined;
  return segments.filter(Boolean).join("/");
}

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;

/** A symlink or device entry (unix mode in the upper half of the external attributes): refused, only files are taken. */
function isSpecial(entry: yauzl.Entry): boolean {
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  return mode !== 0 && mode !== S_IFREG && mode !== 0o040000;
}

function open(file: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(
      file,
      { lazyEntries: true, autoClose: true, validateEntrySizes: true, strictFileNames: true },
      (err, zip) => (err ? reject(refused(err.message)) : resolve(zip)),
    ),
  );
}

/**
 * Walks the zip's entries (the central directory), checking names and declared sizes against the
 * limits; `each` gets every file entry that is kept. Resolves with the number of files and their
 * total size; throws a 400 (nothing written by this function) on the first entry that breaks a rule.
 */
export async function walkZip(
  file: string,
  limits: ZipLimits,
  each?: (zip: yauzl.ZipFile, entry: yauzl.Entry, rel: string) => Promise<void>,
): Promise<{ files: number; bytes: number }> {
  const zip = await open(file);
  if (zip.entryCount > limits.maxEntries) {
    zip.close();
    throw refused(`it holds ${zip.entryCount} entries; at most ${limits.maxEntries} are taken`);
  }
  let files = 0;
  let bytes = 0;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      zip.close();
      reject(err instanceof AppError ? err : refused(err instanceof Error ? err.message : String(err)));
    };
    zip.on("error", fail);
    zip.on("end", () => {
      if (settled) return;
      settled = true;
      if (files === 0) reject(refused("it holds no files"));
      else resolve({ files, bytes });
    });
    zip.on("entry", (entry: yauzl.Entry) => {
      void (async () => {
        const rel = entryPath(entry.fileName);
        if (rel !== undefined) {
          if (isSpecial(entry))
            throw refused(`entry "${entry.fileName.slice(0, 200)}" is a link or device, not a file`);
          if (entry.isEncrypted()) throw refused(`entry "${entry.fileName.slice(0, 200)}" is encrypted`);
          bytes += entry.uncompressedSize;
          if (bytes > limits.maxUnzippedBytes)
            throw refused(`it unpacks to more than ${limits.maxUnzippedBytes} bytes (IMPORT_MAX_UNZIPPED_BYTES)`);
          files++;
          if (each) await each(zip, entry, rel);
        }
        zip.readEntry();
      })().catch(fail);
    });
    zip.readEntry();
  });
}

/** Checks a zip without unpacking it (the upload's check: a refused zip is never stored). */
export function inspectZip(file: string, limits: ZipLimits): Promise<{ files: number; bytes: number }> {
  return walkZip(file, limits);
}

/**
 * Unpacks the zip's files under `dir` (created), by the rules of walkZip. Bytes are counted as
 * they are written too, so an entry that inflates past its declared size is stopped there.
 */
export async function extractZip(
  file: string,
  dir: string,
  limits: ZipLimits,
): Promise<{ files: number; bytes: number }> {
  const root = path.resolve(dir);
  await mkdir(root, { recursive: true });
  let written = 0;
  return walkZip(file, limits, async (zip, entry, rel) => {
    const target = path.resolve(root, rel);
    if (!target.startsWith(root + path.sep)) throw refused(`entry "${rel}" would land outside the export`);
    await mkdir(path.dirname(target), { recursive: true });
    const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) =>
      zip.openReadStream(entry, (err, s) => (err ? reject(err) : resolve(s))),
    );
    const counter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        written += chunk.length;
        if (written > limits.maxUnzippedBytes)
          done(refused(`it unpacks to more than ${limits.maxUnzippedBytes} bytes`));
        else done(null, chunk);
      },
    });
    await pipeline(stream, counter, createWriteStream(target, { flags: "wx", mode: 0o600 }));
  });
}
