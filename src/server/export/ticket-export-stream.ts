import "server-only";
import { withTenant } from "../db/tenant";
import { logger } from "../observability/logger";
import { loadFieldDefs } from "../fields/custom-values";
import { csvHeader, readCsvBatch } from "./csv-batch";
import { readNdjsonBatch } from "./ndjson-batch";
import type { Position } from "./ticket-batches";
import { UserEmails } from "./user-emails";

export type ExportFormat = "csv" | "ndjson";
/**
 * Tickets a batch. An ndjson ticket carries its conversation (about 2.7 KB on the bench data
 * against 340 bytes of CSV), so its batches are smaller: at 1,000 the export's peak RSS went past
 * 200 MB; at 500 it stays near 160 MB (docs/decisions/011-export.md).
 */
export const EXPORT_BATCH_SIZE: Record<ExportFormat, number> = { csv: 1000, ndjson: 500 };

type Batch = { bytes: Uint8Array; count: number; last: Position | undefined };

// Batches started by every export of this process (read by tests to see that a cancelled export stops).
let batchesRead = 0;
export const exportBatchesRead = () => batchesRead;

/**
 * The org's tickets in (updated_at, id) order as a byte stream of keyset batches, each read in
 * its own short tenant transaction. While the consumer writes one batch, the next is being read
 * (PostgreSQL and this process work at the same time, on different cores); nothing more is read
 * ahead, so memory is two batches whatever the org's size, and a client that goes away (cancel)
 * stops the queries: the batch in flight is dropped and no other starts.
 * A ticket changed while the export runs moves to the end and can appear again with its newer
 * state; none is skipped.
 */
export function ticketExportStream(
  orgId: string,
  opts: { format: ExportFormat; updatedSince?: string; batchSize?: number; requestId?: string },
): ReadableStream<Uint8Array> {
  const limit = opts.batchSize ?? EXPORT_BATCH_SIZE[opts.format];
  let cancelled = false;
  let header = opts.format === "csv";
  // The org's custom fields as of the first batch: one CSV column each, the same for every batch.
  let fieldKeys: string[] | undefined;
  let next: Promise<Batch> | null = null;
  const emails = new UserEmails(orgId);

  const read = (after: Position | null): Promise<Batch> => {
    batchesRead++;
    const batch = { after, since: opts.updatedSince, limit };
    const p = withTenant(orgId, async (tx) => {
      if (opts.format !== "csv") return readNdjsonBatch(tx, orgId, batch);
      fieldKeys ??= (await loadFieldDefs(tx)).map((d) => d.key);
      return readCsvBatch(tx, orgId, batch, emails, fieldKeys);
    });
    // A read-ahead whose consumer went away must not become an unhandled rejection.
    p.catch(() => undefined);
    return p;
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (cancelled) return;
        try {
          const batch = await (next ?? read(null));
          next = null;
          if (cancelled) return;
          const more = batch.last !== undefined && batch.count === limit;
          if (more) next = read(batch.last!);
          if (header) controller.enqueue(new TextEncoder().encode(csvHeader(fieldKeys ?? [])));
          header = false;
          if (batch.bytes.byteLength > 0) controller.enqueue(batch.bytes);
          if (!more) controller.close();
        } catch (err) {
          logger().error(
            { requestId: opts.requestId, orgId, err: err instanceof Error ? err.message : String(err) },
            "export failed mid-stream",
          );
          controller.error(err);
        }
      },
      cancel() {
        cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
}
