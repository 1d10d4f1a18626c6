import "server-only";
import { incrementalExport } from "../../export/incremental-export";
import { ZExportQuery, ZIncrementalPage, ZIncrementalQuery } from "../../export/schemas";
import { startTicketExport } from "../../export/start-export";
import { startFullExport, ZFullExportQuery } from "../../export/full/start-full-export";
import { defineOperation } from "../operation";

export const EXPORT_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/export/tickets",
    operationId: "exportTickets",
    summary:
      "Stream every ticket of the org as CSV (header row, RFC 4180, formula-safe) or ndjson (one ticket per line with all its comments), " +
      "in (updatedAt, id) order; 10 a minute per admin",
    tag: "export",
    can: "org.admin",
    query: ZExportQuery,
    status: 200,
    // The handler answers with the streamed CSV or ndjson itself, not a JSON body.
    response: null,
    rawResponse: {
      mediaType: ["text/csv", "application/x-ndjson"],
      description: "The tickets, as the format parameter asks: CSV or ndjson, streamed",
    },
    responseHeaders: { "Content-Disposition": 'attachment; filename="tickets-<date>.<csv|ndjson>"' },
    feature: "export",
    handler: (scope, { query }) => startTicketExport(scope, query),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/export/tickets/incremental",
    operationId: "exportTicketsIncremental",
    summary:
      "Incremental ticket export: start with startTime, continue with nextCursor until endOfStream, then poll with the last nextCursor",
    tag: "export",
    can: "org.admin",
    query: ZIncrementalQuery,
    status: 200,
    response: ZIncrementalPage,
    feature: "export",
    handler: (scope, { query }) => incrementalExport(scope, query),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/export/full",
    operationId: "exportOrgFull",
    summary:
      "Stream the whole org as a tar archive (docs/export-format.md): users, customer organizations, groups, custom fields, " +
      "tickets, comments, attachments with their bytes, SLA events, CSAT ratings and the audit chain with its verify proof; " +
      "with cursor (from the last complete member's pax header), the rest of an interrupted archive; counts against the export limit",
    tag: "export",
    can: "org.admin",
    query: ZFullExportQuery,
    status: 200,
    response: null,
    rawResponse: { mediaType: "application/x-tar", description: "The archive (or its continuation), streamed" },
    responseHeaders: { "Content-Disposition": 'attachment; filename="org-export-<date>.tar"' },
    feature: "export",
    handler: (scope, { query }) => startFullExport(scope, query),
  }),
];
