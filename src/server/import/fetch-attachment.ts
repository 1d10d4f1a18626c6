import "server-only";
import { PassThrough, Readable, Transform, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { env } from "../env";
import { AppError } from "../core/errors";
import { storage } from "../attachments/configured-storage";
import { ContentInspector } from "../attachments/content-inspector";
import { sanitizeFilename } from "../attachments/filename";
import { newStorageKey } from "../attachments/storage";
import { guardedFetch } from "../outbound/guarded-fetch";
import { outboundRefusal } from "../outbound/guard";

/** A stored file, or why not: `reason` is the report's short form, `detail` the sample's. */
export type FetchedFile =
  | { ok: true; key: string; filename: string; contentType: string; size: number; sha256: string }
  | { ok: false; reason: string; detail: string };

const MAX_REDIRECTS = 3;
const TIMEOUT_MS = 60_000;

class TooLarge extends Error {}

/**
 * Downloads an attachment named by URL in an export, under the rules an upload obeys: every hop
 * (Zendesk answers a content URL with a redirect to signed storage) through the guarded outbound
 * client, which refuses private and internal addresses; the byte limit, checked on the header and
 * again while reading; the content inspector's sniffing and allow-list on the way into storage.
 * A refusal is an answer, not an error: the importer reports the file as skipped with why.
 */
export async function fetchAttachment(orgId: string, url: string, name: string): Promise<FetchedFile> {
  const filename = sanitizeFilename(name || "attachment");
  const max = env().ATTACHMENT_MAX_BYTES;
  let current = url;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    let res: Awaited<ReturnType<typeof guardedFetch>>;
    try {
      res = await guardedFetch(current, { signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (err) {
      const refused = outboundRefusal(err);
      if (refused)
        return { ok: false, reason: "refused by the outbound guard", detail: `${filename}: ${refused.message}` };
      return {
        ok: false,
        reason: "download failed",
        detail: `${filename}: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    const location = res.headers.get("location");
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      current = new URL(location, current).href;
      continue;
    }
    if (res.status !== 200 || !res.body) {
      await res.body?.cancel();
      return { ok: false, reason: "download failed", detail: `${filename}: HTTP ${res.status}` };
    }
    const declared = Number(res.headers.get("content-length") ?? "0");
    if (declared > max) {
      await res.body.cancel();
      return {
        ok: false,
        reason: "larger than the attachment size limit",
        detail: `${filename}: ${declared} bytes, the limit is ${max}`,
      };
    }
    return store(orgId, filename, Readable.fromWeb(res.body as WebReadableStream<Uint8Array>), max);
  }
  return { ok: false, reason: "download failed", detail: `${filename}: more than ${MAX_REDIRECTS} redirects` };
}

async function store(orgId: string, filename: string, body: Readable, max: number): Promise<FetchedFile> {
  try {
    return await storeFileBytes(orgId, filename, body, max);
  } catch (err) {
    return {
      ok: false,
      reason: "download failed",
      detail: `${filename}: ${err instanceof Error ? err.message : String(err)}`,
    };
  }
}

/**
 * An imported file's bytes into storage under the rules an upload obeys: the byte limit while
 * reading, the content inspector's sniffing and allow-list, no empty file. A refusal is an answer
 * (`ok: false` with why); any other failure (the source broke off, the store) is thrown, after the
 * partial object is removed.
 */
export async function storeFileBytes(
  orgId: string,
  filename: string,
  body: Readable,
  max: number,
): Promise<FetchedFile> {
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
  const [put, piped] = await Promise.allSettled([
    storage().put(key, through),
    pipeline(body, limit, inspector, through),
  ]);
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
