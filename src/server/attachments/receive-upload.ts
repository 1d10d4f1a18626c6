import "server-only";
import { ContentInspector, type Verdict } from "./content-inspector";
import type { Storage } from "./storage";
import type { ApiRequest } from "../core/api-request";
import { MULTIPART_OVERHEAD_BYTES, receiveMultipart } from "./receive-multipart";

export type Upload = {
  /** Null when the form had no `file` part (nothing was stored). */
  file: { filename: string; verdict: Verdict; size: number; sha256: string } | null;
  fields: { commentId?: string };
};

/**
 * Streams a multipart/form-data body (one `file` part, optional `commentId` field) through the
 * content inspector into the store under `key` (receiveMultipart: the limits, the stall timer, the
 * first failure as the answer). On any failure — over the limit, a refused type, malformed framing,
 * the client going away — the partial object is removed and nothing is left at `key`.
 */
export async function receiveUpload(
  req: ApiRequest,
  opts: { maxBytes: number; store: Storage; key: string },
): Promise<Upload> {
  return receiveMultipart(req, {
    what: "the file",
    maxBytes: opts.maxBytes,
    declaredMax: opts.maxBytes + MULTIPART_OVERHEAD_BYTES,
    fields: ["commentId"],
    fieldSize: 200,
    tooLong: () => "commentId is too long",
    limits: { files: 1, fields: 2, parts: 3 },
    file: (stream, filename, fail) => {
      const inspector = new ContentInspector();
      // The inspector's own refusals are AppErrors; other errors reaching it come from the store
      // (disk full…) and stay internal, except the request side's, which its file stream describes
      // first. The store attaches its listeners after its first await and still sees an earlier
      // error (.errored).
      inspector.on("error", (err: Error) => fail(err));
      stream.pipe(inspector);
      const done = opts.store.put(opts.key, inspector).then(
        (r) => ({ filename, verdict: inspector.verdict(filename), size: r.size, sha256: r.sha256 }),
        (err: unknown) => {
          fail(err as Error);
          return null;
        },
      );
      return { done, abort: (err) => inspector.destroy(err) };
    },
    discard: () => opts.store.delete(opts.key),
  });
}
