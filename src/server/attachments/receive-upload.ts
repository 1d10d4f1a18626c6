import "server-only";
import { Readable } from "node:stream";
import type { ReadableStream as NodeWebStream } from "node:stream/web";
import { pipeline } from "node:stream/promises";
import busboy from "busboy";
import { AppError } from "../http/errors";
import { ContentInspector, type Verdict } from "./content-inspector";
import { sanitizeFilename } from "./filename";
import type { Storage } from "./storage";

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
export async function receiveUpload(req: Request, opts: { maxBytes: number; store: Storage; key: string }): Promise<Upload> {
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
      limits: { fileSize: opts.maxBytes + 1, files: 1, fields: 2, parts: 3, fieldNameSize: 100, fieldSize: 200, headerPairs: 20 },
    });
  } catch {
    throw bad("malformed multipart/form-data header (missing boundary?)");
  }

  // Busboy can emit a second error after the one pipeline reports (its _final, then _destroy);
  // the first one is the answer, the rest must not surface as uncaught exceptions.
  parser.on("error", () => undefined);
  const source = Readable.fromWeb(req.body as NodeWebStream<Uint8Array>);
  const fields: Upload["fields"] = {};
  let failure: Error | undefined;
  let stored: Promise<Upload["file"]> | undefined;
  let stall: NodeJS.Timeout | undefined;

  const fail = (err: Error) => {
    failure ??= err;
    source.destroy();
    parser.destroy();
  };
  const armStall = () => {
    clearTimeout(stall);
    stall = setTimeout(() => fail(bad(`the upload stalled (nothing received for ${UPLOAD_STALL_MS / 1000} s)`)), UPLOAD_STALL_MS);
  };
  source.on("data", armStall);
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
    stream.on("limit", () => inspector.destroy(tooLarge(opts.maxBytes)));
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

  try {
    await pipeline(source, parser);
  } catch (err) {
    fail(describeStreamError(err));
  } finally {
    clearTimeout(stall);
    source.off("data", armStall);
  }
  const file = stored ? await stored : null;
  if (failure) {
    await opts.store.delete(opts.key).catch(() => undefined);
    throw failure;
  }
  return { file, fields };
}

/** Busboy's own messages are fixed strings; anything else means the client's stream broke off. */
function describeStreamError(err: unknown): Error {
  if (err instanceof AppError) return err;
  const message = err instanceof Error ? err.message : "";
  if (/^(Malformed|Unexpected end of (form|file)|Multipart)/.test(message)) return bad(`malformed multipart body: ${message}`);
  return bad("the upload was aborted before it completed");
}
