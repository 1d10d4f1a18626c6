import "server-only";
import { createWriteStream } from "node:fs";
import { rm } from "node:fs/promises";
import type { ApiRequest } from "../../core/api-request";
import { MULTIPART_OVERHEAD_BYTES, receiveMultipart } from "../../attachments/receive-multipart";

/** The options field is a small JSON object (a CSV's column mapping), not a second upload. */
export const OPTIONS_MAX_BYTES = 64 * 1024;

export type ReceivedExport = {
  /** Null when the form had no `file` part. */
  file: { filename: string; size: number; head: Buffer } | null;
  fields: { source?: string; options?: string };
};

/**
 * Streams a multipart/form-data export upload (one `file` part; `source` and optional `options`
 * fields, in any order) into the local file `spool`, the way attachments are received
 * (receiveMultipart): a declared Content-Length over the limit is refused before a byte is read,
 * a body that grows past it is cut there, and a stalled or aborted upload is dropped. On any
 * failure the spool file is removed. The bytes go to a local file first because a zip must be
 * checked (its entry list is at its end) before it is stored.
 */
export async function receiveExport(
  req: ApiRequest,
  opts: { maxBytes: number; spool: string },
): Promise<ReceivedExport> {
  return receiveMultipart(req, {
    what: "the export",
    maxBytes: opts.maxBytes,
    declaredMax: opts.maxBytes + MULTIPART_OVERHEAD_BYTES + OPTIONS_MAX_BYTES,
    fields: ["source", "options"],
    fieldSize: OPTIONS_MAX_BYTES,
    tooLong: (name) => `${name} is too long (at most ${OPTIONS_MAX_BYTES} bytes)`,
    // Busboy stops at the limit itself (a limit of n takes n - 1): room for source, options and file.
    limits: { files: 2, fields: 3, parts: 4 },
    file: (stream, filename, fail) => {
      const out = createWriteStream(opts.spool, { flags: "wx", mode: 0o600 });
      let size = 0;
      const headParts: Buffer[] = [];
      let headBytes = 0;
      let resolve!: (file: ReceivedExport["file"]) => void;
      const done = new Promise<ReceivedExport["file"]>((r) => (resolve = r));
      stream.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (headBytes < 8) {
          headParts.push(chunk.subarray(0, 8 - headBytes));
          headBytes += Math.min(chunk.length, 8 - headBytes);
        }
      });
      out.on("error", (err: Error) => {
        fail(err);
        resolve(null);
      });
      out.on("finish", () => resolve({ filename, size, head: Buffer.concat(headParts) }));
      // Destroyed before it finished (the parser failed mid-file): nothing more will come.
      out.on("close", () => resolve(null));
      stream.pipe(out);
      return {
        done,
        abort: () => {
          out.destroy();
          resolve(null);
        },
      };
    },
    discard: () => rm(opts.spool, { force: true }),
  });
}
