import "server-only";
import { once } from "node:events";
import { PassThrough, Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { env } from "../../env";
import { AppError } from "../../core/errors";
import { storage } from "../../attachments/configured-storage";
import { ContentInspector } from "../../attachments/content-inspector";
import { sanitizeFilename } from "../../attachments/filename";
import { newStorageKey } from "../../attachments/storage";
import type { FetchedFile } from "../fetch-attachment";

class TooLarge extends Error {}

/**
 * An attachment's bytes from the archive into storage under the rules an upload obeys: the size
 * limit (checked against the member's size first, and again while reading), the content
 * inspector's sniffing and allow-list. A refusal is an answer (the report's skip), not an error.
 * The archive's bytes are always read to their end, so the next member can be read.
 */
export async function storeArchiveFile(
  orgId: string,
  name: string,
  body: Readable,
  declaredSize: number,
): Promise<FetchedFile> {
  const filename = sanitizeFilename(name || "attachment");
  const max = env().ATTACHMENT_MAX_BYTES;
  if (declaredSize > max) {
    await drain(body);
    return {
      ok: false,
      reason: "larger than the attachment size limit",
      detail: `${filename}: ${declaredSize} bytes, the limit is ${max}`,
    };
  }
  const key = newStorageKey(orgId);
  let seen = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      seen += chunk.length;
      cb(seen > max ? new TooLarge() : null, chunk);
    },
  });
  const inspector = new ContentInspector();
  const through = new PassThrough();
  // The archive entry is fed by hand, never destroyed: a refused file is read to its end so the archive goes on.
  const src = new PassThrough();
  const [put, piped, fed] = await Promise.allSettled([
    storage().put(key, through),
    pipeline(src, limit, inspector, through),
    feed(body, src),
  ]);
  if (fed.status === "rejected") throw fed.reason;
  if (piped.status === "rejected" || put.status === "rejected") {
    await storage()
      .delete(key)
      .catch(() => undefined);
    const err: unknown = piped.status === "rejected" ? piped.reason : (put as PromiseRejectedResult).reason;
    if (err instanceof TooLarge)
      return { ok: false, reason: "larger than the attachment size limit", detail: `${filename}: over ${max} bytes` };
    if (err instanceof AppError && err.code === "unsupported_media_type")
      return { ok: false, reason: "file type not accepted", detail: `${filename}: ${err.message}` };
    throw err instanceof Error ? err : new Error(String(err));
  }
  if (put.value.size === 0) {
    await storage().delete(key);
    return { ok: false, reason: "empty file", detail: filename };
  }
  const verdict = inspector.verdict(filename);
  if (!verdict.ok) {
    await storage().delete(key);
    return { ok: false, reason: "file type not accepted", detail: `${filename}: ${verdict.reason}` };
  }
  return { ok: true, key, filename, contentType: verdict.kind.mime, size: put.value.size, sha256: put.value.sha256 };
}

async function feed(body: Readable, into: PassThrough): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (into.destroyed) continue;
    if (!into.write(chunk)) await Promise.race([once(into, "drain"), once(into, "close")]);
  }
  if (!into.destroyed) into.end();
}

async function drain(body: Readable): Promise<void> {
  for await (const chunk of body as AsyncIterable<Buffer>) void chunk;
}
