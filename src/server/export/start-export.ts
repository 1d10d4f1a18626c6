import "server-only";
import { recordAudit } from "../audit/record-audit";
import type { Ctx } from "../http/route";
import { auditActor } from "../tickets/actor";
import { consumeExportBudget } from "./export-limit";
import type { ExportQuery } from "./schemas";
import { ticketExportStream } from "./ticket-export-stream";

const CONTENT_TYPES = { csv: "text/csv; charset=utf-8", ndjson: "application/x-ndjson; charset=utf-8" } as const;

/**
 * GET /export/tickets (admin): records export.started in the request's transaction and answers
 * with a stream that reads its batches after that transaction has committed, each batch in a
 * transaction of its own (ticketExportStream).
 */
export async function startTicketExport(ctx: Ctx<ExportQuery>): Promise<Response> {
  const { format, updatedSince } = ctx.query;
  await consumeExportBudget(ctx.user);
  await recordAudit(ctx.tx, auditActor(ctx), {
    action: "export.started",
    entityType: "org",
    entityId: ctx.user.orgId,
    data: { format, filter: { updatedSince: updatedSince ?? null } },
  });
  const body = ticketExportStream(ctx.user.orgId, { format, updatedSince, requestId: ctx.requestId });
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
