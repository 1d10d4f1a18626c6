import "server-only";
import busboy from "busboy";
import { AppError } from "../core/errors";
import { ContentInspector, type Verdict } from "./content-inspector";
import { sanitizeFilename } from "./filename";
import type { Storage } from "./storage";
import type { ApiRequest } from "../core/api-request";

/** Room for the multipart framing and the small fields around the file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** An upload that sends nothing for this long is dropped (it holds a request, though no transaction). */
export const UPLOAD_STALL_MS = 30_000;

export type Upload = {
  /** Null when the form had no `file` part (nothing was stored). */
  file: { filename: string; verdict: Verdict; size: number; sha256: string } | null;
  fields: { commentId?: string };
};

const bad = (message: string) => new AppError("validation_failed", message);
export const tooLarge = (max: number) =>
  new AppError("payload_too_large", `the file exceeds the ${max}-byte limit`, { maxBytes: max });

/**
 * Streams a multipart/form-data body (one `file` part, optional `commentId` field) through the
 * content inspector into the store under `key`, reading no more than the limit allows: a declared
 * Content-Length over it is refused before any byte is read, and a body that grows past it while
 * streaming is cut off there. On any failure — over the limit, a refused type, malformed framing,
 * the client going away — the partial object is removed and nothing is left at `key`.
 */
export async function receiveUpload(
  req: ApiRequest,
  opts: { maxBytes: number; store: Storage; key: string },
): Promise<Upload> {
  const contentType = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType)) {
    throw new AppError("unsupported_media_type", "send the file as multipart/form-data in a field named file");
  }
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > opts.maxBytes + MULTIPART_OVERHEAD_BYTES) throw tooLarge(opts.maxBytes);
  if (!req.body) throw bad("the request has no body");

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      defParamCharset: "utf8",
      // Busboy reports "limit" on reaching fileSize, so a file of exactly maxBytes needs one more.
      limits: {
        fileSize: opts.maxBytes + 1,
        files: 1,
        fields: 2,
        parts: 3,
        fieldNameSize: 100,
        fieldSize: 200,
        headerPairs: 20,
      },
    });
  } catch {
    throw bad("malformed multipart/form-data header (missing boundary?)");
  }

  // The request body is read here, chunk by chunk, and never cancelled: cancelling it while its
  // last read is pending made undici close the already-cancelled stream from a microtask once the
  // body ended, an uncaughtException on every upload 1 to 1,000 bytes over the limit (issue 18.7).
  // After a failure the rest of the body is read and dropped, up to DRAIN_BYTES, so a client just
  // over the limit finishes its request cleanly; beyond that the body is simply no longer read.
  const reader = (req.body as ReadableStream<Uint8Array>).getReader();
  const fields: Upload["fields"] = {};
  let failure: Error | undefined;
  let stored: Promise<Upload["file"]> | undefined;
  let stall: NodeJS.Timeout | undefined;
  let settle!: () => void;
  const settled = new Promise<void>((resolve) => (settle = resolve));

  const fail = (err: Error) => {
    failure ??= err;
    parser.destroy();
    settle();
  };
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(
      () => fail(bad(`the upload stalled (nothing received for ${UPLOAD_STALL_MS / 1000} s)`)),
      UPLOAD_STALL_MS,
    );
  };
  // Busboy can emit a second error after the first (its _final, then _destroy); the first one is the answer.
  parser.on("error", (err: Error) => fail(describeStreamError(err)));
  parser.on("finish", () => settle());
  parser.on("close", () => settle());
  armStall();

  parser.on("file", (name, stream, info) => {
    stream.on("error", () => undefined);
    if (name !== "file" || stored) {
      stream.resume();
      fail(bad(name !== "file" ? `unexpected file field "${name}"; use "file"` : "send one file per request"));
      return;
    }
    const filename = sanitizeFilename(info.filename);
    const inspector = new ContentInspector();
    // Any failure stops reading the request at once, not only once the store has cleaned up (a
    // body arriving faster than I/O would otherwise be read to its end first). The inspector's
    // own refusals are AppErrors; other errors reaching it come from the store (disk full…) and
    // stay internal, except the request side's, which its file stream describes first. The store
    // attaches its listeners after its first await and still sees an earlier error (.errored).
    inspector.on("error", (err: Error) => fail(err));
    stream.on("limit", () => {
      const err = tooLarge(opts.maxBytes);
      fail(err);
      inspector.destroy(err);
    });
    stream.on("error", (err: Error) => {
      fail(describeStreamError(err));
      inspector.destroy(err);
    });
    stream.pipe(inspector);
    stored = opts.store.put(opts.key, inspector).then(
      (r) => ({ filename, verdict: inspector.verdict(filename), size: r.size, sha256: r.sha256 }),
      (err: unknown) => {
        fail(err as Error);
        return null;
      },
    );
  });
  parser.on("field", (name, value, info) => {
    if (name !== "commentId") return fail(bad(`unexpected form field "${name}"`));
    if (info.valueTruncated) return fail(bad("commentId is too long"));
    fields.commentId = value;
  });
  parser.on("filesLimit", () => fail(bad("send one file per request")));
  parser.on("fieldsLimit", () => fail(bad("too many form fields")));
  parser.on("partsLimit", () => fail(bad("too many form parts")));

  void pump(reader, parser, {
    armStall,
    fail: (err) => fail(describeStreamError(err)),
    failed: () => failure !== undefined,
  });
  await settled;
  clearTimeout(stall);
  const file = stored ? await stored : null;
  if (failure) {
    await opts.store.delete(opts.key).catch(() => undefined);
    throw failure;
  }
  return { file, fields };
}

/** What is read and dropped of a body after its upload failed; past it the body is left unread. */
const DRAIN_BYTES = MULTIPART_OVERHEAD_BYTES;

/** Feeds the body to the parser with backpressure; after a failure, drains a little and stops. */
export async function pump(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  parser: busboy.Busboy,
  o: { armStall: () => void; fail: (err: unknown) => void; failed: () => boolean },
): Promise<void> {
  let drained = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (o.failed()) {
        drained += value?.byteLength ?? 0;
        if (done || drained > DRAIN_BYTES) return;
        continue;
      }
      o.armStall();
      if (done) {
        parser.end();
        return;
      }
      const more = parser.write(value);
      // Let errors the write raised (they arrive on process.nextTick) land before the next read:
      // a body that is always ready would otherwise be read to its end in one run of promises.
      await new Promise<void>((resolve) => process.nextTick(resolve));
      if (o.failed()) continue;
      if (!more && parser.writableNeedDrain) {
        await new Promise<void>((resolve) => {
          const go = () => {
            parser.off("drain", go);
            parser.off("close", go);
            resolve();
          };
          parser.on("drain", go);
          parser.on("close", go);
        });
      }
    }
  } catch (err) {
    // The client went away, or the body broke off: the first failure is the answer.
    if (!o.failed()) o.fail(err);
  }
}

/** Busboy's own messages are fixed strings; anything else means the client's stream broke off. */
export function describeStreamError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : "";
  if (/^(Malformed|Unexpected end of (form|file)|Multipart)/.test(message))
    return bad(`malformed multipart body: ${message}`);
  return bad("the upload was aborted before it completed");
}
