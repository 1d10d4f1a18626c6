import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import { page, ZListPage } from "../../tickets/schemas";
import { authorizeImport, startImport } from "../../import/start-import";
import { getImport, getImportReport, listImports } from "../../import/list-imports";
import { cancelImport, deleteImport } from "../../import/manage-import";
import { ZImport, ZImportReport, ZReportQuery } from "../../import/schemas";
import { defineOperation, defineStreamingOperation } from "../operation";

// Moving in from another helpdesk over HTTP (issue 17, decision 055): an admin uploads an export,
// a job imports it in slices, and the import's state, progress and check report are read here.

const ZUpload = z.object({
  source: z.string().meta({ description: "The export's source kind: zendesk, freshdesk, csv or beacon" }),
  options: z.string().optional().meta({
    description:
      "The importer's options as a JSON object: a csv import's column mapping (required for csv); default {}",
  }),
  file: z.string().meta({
    format: "binary",
    description:
      "zendesk, freshdesk: a .zip of the export folder or one .json/.ndjson/.jsonl file; csv: one .csv file; beacon: the full export's .tar",
  }),
});

export const IMPORT_OPERATIONS = [
  defineStreamingOperation({
    method: "POST",
    path: "/api/v1/imports",
    operationId: "createImport",
    idempotent: true,
    summary:
      "Start an import (multipart/form-data: `source`, optional `options`, `file`): the export is stored and a job imports it; 202 with the import in state queued. " +
      "Over IMPORT_MAX_BYTES (2 GiB) → 413; a file the source kind does not take → 415; an unknown source, bad options (a csv mapping is checked against the header), an empty file or a refused zip " +
      "(over 10,000 entries or IMPORT_MAX_UNZIPPED_BYTES, an absolute or `..` name, a link, encryption) → 400, and nothing is stored",
    tag: "imports",
    can: "org.admin",
    multipart: ZUpload,
    status: 202,
    response: ZImport,
    prepare: (scope) => authorizeImport(scope),
    handler: (scope, { upload }) => startImport(scope, upload),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/imports",
    operationId: "listImports",
    summary: "The org's imports, newest first, with state and progress",
    tag: "imports",
    can: "org.admin",
    query: ZListPage,
    status: 200,
    response: page(ZImport),
    handler: (scope, { query }) => listImports(scope, query),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/imports/{id}",
    operationId: "getImport",
    summary:
      "One import: state (queued, running, done, failed, cancelled), counts per record type, progress, error, cancel request and times",
    tag: "imports",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZImport,
    handler: (scope, { params }) => getImport(scope, params.id),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/imports/{id}/report",
    operationId: "getImportReport",
    summary:
      "The import's check report: counts per record type with skip reasons, the skipped records' sample, and the ticket sample compared field by field; " +
      "format=text gives the text `npm run import` prints, as a download",
    tag: "imports",
    can: "org.admin",
    params: zUuidParam,
    query: ZReportQuery,
    status: 200,
    response: ZImportReport,
    rawResponse: { mediaType: "text/plain", description: "With format=text: the report as plain text, as a download" },
    responseHeaders: { "Content-Disposition": 'with format=text: attachment; filename="import-<id>-report.txt"' },
    handler: (scope, { params, query }) => getImportReport(scope, params.id, query.format),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/imports/{id}/cancel",
    operationId: "cancelImport",
    summary:
      "Cancel an import; 202 with the import. A running one stops at its next batch boundary (that batch is not written) and becomes cancelled, " +
      "keeping the whole batches it imported; a queued or failed one is cancelled at once. The stored export and work directory are removed. " +
      "A done or cancelled import → 409; asking again while it stops changes nothing",
    tag: "imports",
    can: "org.admin",
    params: zUuidParam,
    status: 202,
    response: ZImport,
    errors: ["conflict"],
    handler: (scope, { params }) => cancelImport(scope, params.id),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/imports/{id}",
    operationId: "deleteImport",
    summary:
      "Delete an import's record, its stored export and work directory; the tickets, people and companies it imported stay, and so does the id map " +
      "(a later import of the same export still writes nothing twice). A queued or running import → 409 (cancel it first)",
    tag: "imports",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    errors: ["conflict"],
    handler: (scope, { params }) => deleteImport(scope, params.id),
  }),
];
