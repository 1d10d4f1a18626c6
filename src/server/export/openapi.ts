import type { Operation } from "../http/api-spec";
import { ZExportQuery, ZIncrementalPage, ZIncrementalQuery } from "./schemas";

/** OpenAPI entries for the export routes (merged into the document by src/server/http/api-spec.ts). */
export const EXPORT_OPERATIONS: Operation[] = [
  {
    method: "GET",
    path: "/api/v1/export/tickets",
    summary: "Stream every ticket of the org as CSV (header row, RFC 4180, formula-safe) or ndjson (one ticket per line with all its comments), in (updatedAt, id) order; 10 a minute per admin",
    tag: "export",
    auth: "admin",
    query: ZExportQuery,
    status: 200,
    response: null,
  },
  {
    method: "GET",
    path: "/api/v1/export/tickets/incremental",
    summary: "Incremental ticket export: start with startTime, continue with nextCursor until endOfStream, then poll with the last nextCursor",
    tag: "export",
    auth: "admin",
    query: ZIncrementalQuery,
    status: 200,
    response: ZIncrementalPage,
  },
];
