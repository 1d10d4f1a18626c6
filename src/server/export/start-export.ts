import "server-only";
import { recordAudit } from "../audit/record-audit";
import type { Scope } from "../core/scope";
import { auditActor } from "../authz/actor";
import { consumeExportBudget } from "./export-limit";
import type { ExportQuery } from "./schemas";
import { ticketExportStream } from "./ticket-export-stream";

const CONTENT_TYPES = { csv: "text/csv; charset=utf-8", ndjson: "application/x-ndjson; charset=utf-8" } as const;

/**
 * GET /export/tickets (admin): records export.started in the request's transaction and answers
 * with a stream that reads its batches after that transaction has committed, each batch in a
 * transaction of its own (ticketExportStream).
 */
export async function startTicketExport(scope: Scope, query: ExportQuery): Promise<Response> {
  const { format, updatedSince } = query;
  await consumeExportBudget(scope.user);
  await recordAudit(scope.tx, auditActor(scope), {
    action: "export.started",
    entityType: "org",
    entityId: scope.user.orgId,
    data: { format, filter: { updatedSince: updatedSince ?? null } },
  });
  const body = ticketExportStream(scope.user.orgId, { format, updatedSince, requestId: scope.requestId });
  const date = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    status: 200,
    headers: {
      "Content-Type": CONTENT_TYPES[format],
      "Content-Disposition": `attachment; filename="tickets-${date}.${format}"`,
      "X-Content-Type-Options": "nosniff",
    },
  });
}
