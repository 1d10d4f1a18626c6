import "server-only";
import { once } from "node:events";
import { PassThrough, type Readable } from "node:stream";
import { env } from "../../env";
import { sanitizeFilename } from "../../attachments/filename";
import { storeFileBytes, type FetchedFile } from "../fetch-attachment";

/**
 * An attachment's bytes from the archive into storage under the rules an upload obeys
 * (storeFileBytes, as a downloaded attachment's), the size limit checked against the member's
 * declared size first. A refusal is an answer (the report's skip), not an error.
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
  // The archive entry is fed by hand, never destroyed: a refused file is read to its end so the
  // archive goes on. An entry that breaks off ends the store with its error.
  const src = new PassThrough();
  const [stored, fed] = await Promise.allSettled([
    storeFileBytes(orgId, filename, src, max),
    feed(body, src).catch((err: unknown) => {
      src.destroy(err instanceof Error ? err : new Error(String(err)));
      throw err;
    }),
  ]);
  if (fed.status === "rejected") throw fed.reason;
  if (stored.status === "rejected") throw stored.reason;
  return stored.value;
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
