import "server-only";
import { inArray, and, eq } from "drizzle-orm";
import { attachments } from "../db/schema/tickets";
import { storage } from "../attachments/configured-storage";
import { withTenant } from "../db/tenant";
import { fetchAttachment, type FetchedFile } from "./fetch-attachment";
import { storeExportFile } from "./export-files";
import { mappedIds, type IdSpace } from "./id-map";

const DOWNLOADS_AT_ONCE = 4;

/**
 * An attachment a batch wants: its key in the batch (attachmentKey), its URL, its id in the
 * source, its name, and the source record (a ticket, or a comment written on its own) it comes
 * with. `localPath`: the file's bytes given in the export itself (export-files.ts), used instead
 * of the URL.
 */
export type WantedFile = {
  key: string;
  url: string | null;
  attachmentId: string | null;
  name: string;
  ownerId: string;
  localPath?: string | null;
};

/**
 * Fetches the attachments of a batch's tickets that are not imported yet, before the batch's
 * transaction (a download never holds one open). What the write does not use (its ticket turned
 * out to be skipped, or the transaction failed) is removed by discardUnusedFiles.
 */
export async function fetchTicketFiles(
  space: IdSpace,
  wanted: WantedFile[],
  ownerType: "ticket" | "comment" = "ticket",
): Promise<Map<string, FetchedFile>> {
  const out = new Map<string, FetchedFile>();
  if (!wanted.length) return out;
  const known = await withTenant(space.orgId, (tx) =>
    mappedIds(
      tx,
      space,
      ownerType,
      wanted.map((w) => w.ownerId),
    ),
  );
  // A few at a time: downloads wait on the network, not on this process.
  const queue = wanted.filter((w) => !known.has(w.ownerId));
  const worker = async () => {
    for (let w = queue.shift(); w; w = queue.shift())
      out.set(
        w.key,
        w.localPath
          ? await storeExportFile(space.orgId, w.localPath, w.name)
          : w.url
            ? await fetchAttachment(space.orgId, w.url, w.name)
            : { ok: false, reason: "no URL in the export", detail: w.name },
      );
  };
  await Promise.all(Array.from({ length: DOWNLOADS_AT_ONCE }, worker));
  return out;
}

/** Removes the stored files of a batch that no committed attachment row names. */
export async function discardUnusedFiles(orgId: string, files: Map<string, FetchedFile>): Promise<void> {
  const keys = [...files.values()].flatMap((f) => (f.ok ? [f.key] : []));
  if (!keys.length) return;
  const kept = new Set(
    (
      await withTenant(orgId, (tx) =>
        tx
          .select({ key: attachments.storageKey })
          .from(attachments)
          .where(and(eq(attachments.orgId, orgId), inArray(attachments.storageKey, keys))),
      )
    ).map((r) => r.key),
  );
  for (const k of keys)
    if (!kept.has(k))
      await storage()
        .delete(k)
        .catch(() => undefined);
}
