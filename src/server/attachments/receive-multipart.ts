import "server-only";
import type { Readable } from "node:stream";
import busboy from "busboy";
import { AppError } from "../core/errors";
import type { ApiRequest } from "../core/api-request";
import { sanitizeFilename } from "./filename";

// The one way Beacon reads a multipart/form-data upload of one file (an attachment, an export to
// import): the limits, the stall timer, the request body read by hand with backpressure, and the
// first failure as the answer. What becomes of the file's bytes is the caller's (a FileSink).

/** Room for the multipart framing and the small fields around the file. */
export const MULTIPART_OVERHEAD_BYTES = 64 * 1024;
/** An upload that sends nothing for this long is dropped (it holds a request, though no transaction). */
export const UPLOAD_STALL_MS = 30_000;

const bad = (message: string) => new AppError("validation_failed", message);
export const tooLarge = (max: number) =>
  new AppError("payload_too_large", `the file exceeds the ${max}-byte limit`, { maxBytes: max });

/** Where the `file` part's bytes go. */
export type FileSink<F> = {
  /** What was received once the bytes are written, or null after a failure (reported through `fail`). */
  done: Promise<F | null>;
  /** The request side failed or went over the limit: stop writing and let `done` settle. */
  abort: (err: Error) => void;
};

export type MultipartSpec<F, K extends string> = {
  /** "the file", "the export": for the answer to a body that is not multipart/form-data. */
  what: string;
  /** The file's byte limit. */
  maxBytes: number;
  /** A declared Content-Length over this is refused before a byte is read. */
  declaredMax: number;
  /** The form fields besides `file`, and the busboy limits that hold them. */
  fields: readonly K[];
  fieldSize: number;
  tooLong: (field: K) => string;
  limits: { files: number; fields: number; parts: number };
  /** Takes the `file` part's stream (already piped nowhere) and says where its bytes go. */
  file: (stream: Readable, filename: string, fail: (err: Error) => void) => FileSink<F>;
  /** Removes whatever a failed upload left (the partial object, the spool file). */
  discard: () => Promise<void>;
};

/**
 * Streams a multipart/form-data body with one `file` part into `spec.file`, reading no more than
 * the limit allows: a declared Content-Length over it is refused before any byte is read, and a body
 * that grows past it while streaming is cut off there. On any failure — over the limit, malformed
 * framing, an unexpected part, the sink's own refusal, the client going away or stalling — what
 * was written is discarded and the first failure is thrown.
 */
export async function receiveMultipart<F, K extends string>(
  req: ApiRequest,
  spec: MultipartSpec<F, K>,
): Promise<{ file: F | null; fields: Partial<Record<K, string>> }> {
  const contentType = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType))
    throw new AppError("unsupported_media_type", `send ${spec.what} as multipart/form-data in a field named file`);
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > spec.declaredMax) throw tooLarge(spec.maxBytes);
  if (!req.body) throw bad("the request has no body");

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      defParamCharset: "utf8",
      // Busboy reports "limit" on reaching fileSize, so a file of exactly maxBytes needs one more.
      limits: {
        fileSize: spec.maxBytes + 1,
        ...spec.limits,
        fieldNameSize: 100,
        fieldSize: spec.fieldSize,
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
  const fields: Partial<Record<K, string>> = {};
  let failure: Error | undefined;
  let received: Promise<F | null> | undefined;
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
    if (name !== "file" || received) {
      stream.resume();
      fail(bad(name !== "file" ? `unexpected file field "${name}"; use "file"` : "send one file per request"));
      return;
    }
    const sink = spec.file(stream, sanitizeFilename(info.filename), fail);
    received = sink.done;
    // Any failure stops reading the request at once, not only once the sink has cleaned up (a body
    // arriving faster than I/O would otherwise be read to its end first).
    stream.on("limit", () => {
      const err = tooLarge(spec.maxBytes);
      fail(err);
      sink.abort(err);
    });
    stream.on("error", (err: Error) => {
      fail(describeStreamError(err));
      sink.abort(err);
    });
  });
  parser.on("field", (name, value, info) => {
    if (!(spec.fields as readonly string[]).includes(name)) return fail(bad(`unexpected form field "${name}"`));
    if (info.valueTruncated) return fail(bad(spec.tooLong(name as K)));
    fields[name as K] = value;
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
  const file = received ? await received : null;
  if (failure) {
    await spec.discard().catch(() => undefined);
    throw failure;
  }
  return { file, fields };
}

/** What is read and dropped of a body after its upload failed; past it the body is left unread. */
const DRAIN_BYTES = MULTIPART_OVERHEAD_BYTES;

/** Feeds the body to the parser with backpressure; after a failure, drains a little and stops. */
async function pump(
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
function describeStreamError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : "";
  if (/^(Malformed|Unexpected end of (form|file)|Multipart)/.test(message))
    return bad(`malformed multipart body: ${message}`);
  return bad("the upload was aborted before it completed");
}
