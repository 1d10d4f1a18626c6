import "server-only";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import busboy from "busboy";
import { AppError } from "../../core/errors";
import type { ApiRequest } from "../../core/api-request";
import {
  describeStreamError,
  MULTIPART_OVERHEAD_BYTES,
  pump,
  tooLarge,
  UPLOAD_STALL_MS,
} from "../../attachments/receive-upload";
import { sanitizeFilename } from "../../attachments/filename";

/** The options field is a small JSON object (a CSV's column mapping), not a second upload. */
export const OPTIONS_MAX_BYTES = 64 * 1024;

export type ReceivedExport = {
  /** Null when the form had no `file` part. */
  file: { filename: string; size: number; head: Buffer } | null;
  fields: { source?: string; options?: string };
};

const bad = (message: string) => new AppError("validation_failed", message);

/**
 * Streams a multipart/form-data export upload (one `file` part; `source` and optional `options`
 * fields, in any order) into the local file `spool`, the way attachments are received
 * (receive-upload.ts): a declared Content-Length over the limit is refused before a byte is read,
 * a body that grows past it is cut there, and a stalled or aborted upload is dropped. On any
 * failure the spool file is removed. The bytes go to a local file first because a zip must be
 * checked (its entry list is at its end) before it is stored.
 */
export async function receiveExport(
  req: ApiRequest,
  opts: { maxBytes: number; spool: string },
): Promise<ReceivedExport> {
  const contentType = req.headers.get("content-type") ?? "";
  if (!/^multipart\/form-data\s*;/i.test(contentType))
    throw new AppError("unsupported_media_type", "send the export as multipart/form-data in a field named file");
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (Number.isFinite(declared) && declared > opts.maxBytes + MULTIPART_OVERHEAD_BYTES + OPTIONS_MAX_BYTES)
    throw tooLarge(opts.maxBytes);
  if (!req.body) throw bad("the request has no body");

  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { "content-type": contentType },
      defParamCharset: "utf8",
      limits: {
        fileSize: opts.maxBytes + 1,
        // Busboy stops at the limit itself (a limit of n takes n - 1): room for source, options and file.
        files: 2,
        fields: 3,
        parts: 4,
        fieldNameSize: 100,
        fieldSize: OPTIONS_MAX_BYTES,
        headerPairs: 20,
      },
    });
  } catch {
    throw bad("malformed multipart/form-data header (missing boundary?)");
  }

  const reader = (req.body as ReadableStream<Uint8Array>).getReader();
  const fields: ReceivedExport["fields"] = {};
  let failure: Error | undefined;
  let written: Promise<ReceivedExport["file"]> | undefined;
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
  parser.on("error", (err: Error) => fail(describeStreamError(err)));
  parser.on("finish", () => settle());
  parser.on("close", () => settle());
  armStall();

  parser.on("file", (name, stream, info) => {
    stream.on("error", () => undefined);
    if (name !== "file" || written) {
      stream.resume();
      fail(bad(name !== "file" ? `unexpected file field "${name}"; use "file"` : "send one file per request"));
      return;
    }
    const filename = sanitizeFilename(info.filename);
    const out = createWriteStream(opts.spool, { flags: "wx", mode: 0o600 });
    let size = 0;
    const headParts: Buffer[] = [];
    let headBytes = 0;
    written = new Promise((resolve) => {
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (headBytes < 8) {
          headParts.push(chunk.subarray(0, 8 - headBytes));
          headBytes += Math.min(chunk.length, 8 - headBytes);
        }
      });
      stream.on("limit", () => {
        fail(tooLarge(opts.maxBytes));
        out.destroy();
        resolve(null);
      });
      stream.on("error", (err: Error) => {
        fail(describeStreamError(err));
        out.destroy();
        resolve(null);
      });
      out.on("error", (err: Error) => {
        fail(err);
        resolve(null);
      });
      out.on("finish", () => resolve({ filename, size, head: Buffer.concat(headParts) }));
      // Destroyed before it finished (the parser failed mid-file): nothing more will come.
      out.on("close", () => resolve(null));
      stream.pipe(out);
    });
  });
  parser.on("field", (name, value, info) => {
    if (name !== "source" && name !== "options") return fail(bad(`unexpected form field "${name}"`));
    if (info.valueTruncated) return fail(bad(`${name} is too long (at most ${OPTIONS_MAX_BYTES} bytes)`));
    fields[name] = value;
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
  const file = written ? await written : null;
  if (failure) {
    await rm(opts.spool, { force: true });
    throw failure;
  }
  return { file, fields };
}
