import { createHash } from "node:crypto";
import { Transform } from "node:stream";

/** A pass-through that counts bytes and computes their sha256 on the way to a store. */
export function hashingCounter(): Transform & { result(): { size: number; sha256: string } } {
  const hash = createHash("sha256");
  let size = 0;
  const t = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  return Object.assign(t, { result: () => ({ size, sha256: hash.digest("hex") }) });
}
