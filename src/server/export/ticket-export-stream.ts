import "server-only";
import { withTenant } from "../db/tenant";
import { logger } from "../observability/logger";
import { toTicketView } from "../tickets/ticket-view";
import { csvRow } from "./csv";
import { readComments, readCsvBatch, readTicketBatch, type CsvRecord, type Position } from "./ticket-batches";

export type ExportFormat = "csv" | "ndjson";
export const EXPORT_BATCH_SIZE = 1000;

const CSV_HEADER = [
  "id", "number", "subject", "status", "priority", "requesterId", "requesterEmail", "assigneeId", "assigneeEmail", "tags",
  "createdAt", "updatedAt", "firstResponseDue", "firstResponseAt", "resolveDue", "resolvedAt", "closedAt",
] as const;

function csvLine(r: CsvRecord): string {
  return csvRow([
    r.id, r.number, r.subject, r.status, r.priority, r.requester_id, r.requester_email, r.assignee_id, r.assignee_email, r.tags,
    r.created_at, r.updated_at, r.first_response_due, r.first_response_at, r.resolve_due, r.resolved_at, r.closed_at,
  ]);
}

// Batches read by every export of this process (read by tests to see that a cancelled export stops).
let batchesRead = 0;
export const exportBatchesRead = () => batchesRead;

/**
 * The org's tickets in (updated_at, id) order as a byte stream that reads one keyset batch per
 * pull, each in its own short tenant transaction: nothing is read ahead of the consumer, so memory
 * is one batch whatever the org's size, and a client that goes away (cancel) stops the queries.
 * A ticket changed while the export runs moves to the end and can appear again with its newer
 * state; none is skipped.
 */
export function ticketExportStream(
  orgId: string,
  opts: { format: ExportFormat; updatedSince?: string; batchSize?: number; requestId?: string },
): ReadableStream<Uint8Array> {
  const limit = opts.batchSize ?? EXPORT_BATCH_SIZE;
  const encoder = new TextEncoder();
  let after: Position | null = null;
  let cancelled = false;
  let headerSent = opts.format !== "csv";

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (cancelled) return;
        try {
          const batch = { after, since: opts.updatedSince, limit };
          const { count, last, text } = await withTenant(orgId, async (tx) => {
            if (opts.format === "csv") {
              const rows = await readCsvBatch(tx, orgId, batch);
              const end = rows[rows.length - 1];
              return { count: rows.length, last: end && { v: end.position_v, id: end.id }, text: rows.map(csvLine).join("") };
            }
            const rows = await readTicketBatch(tx, orgId, batch);
            const byTicket = await readComments(tx, orgId, rows.map((r) => r.ticket.id));
            const now = new Date();
            const text = rows
              .map((r) => {
                return `${JSON.stringify({ ...toTicketView(r.ticket, now), comments: byTicket.get(r.ticket.id) ?? [] })}\n`;
              })
              .join("");
            return { count: rows.length, last: rows[rows.length - 1]?.position, text };
          });
          batchesRead++;
          if (cancelled) return;
          const prefix = headerSent ? "" : csvRow(CSV_HEADER);
          headerSent = true;
          if (prefix || text) controller.enqueue(encoder.encode(prefix + text));
          if (!last || count < limit) controller.close();
          else after = last;
        } catch (err) {
          logger().error({ requestId: opts.requestId, orgId, err: err instanceof Error ? err.message : String(err) }, "export failed mid-stream");
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
