import type { Operation } from "../http/api-spec";
import { page, ZListPage } from "../tickets/schemas";
import { ZAttachment } from "./schemas";

// The upload body is multipart/form-data (`file`, optional `commentId`) and the
// download is the file's bytes; the Operation type models JSON bodies only, so both are described
// in their summaries.

/** OpenAPI entries for the attachments routes (merged into the document by src/server/http/api-spec.ts). */
export const ATTACHMENT_OPERATIONS: Operation[] = [
  { method: "GET", path: "/api/v1/tickets/{id}/attachments", summary: "A ticket's attachments (internal notes' files for staff only)", tag: "attachments", auth: "any", pathId: true, query: ZListPage, status: 200, response: page(ZAttachment) },
  {
    method: "POST",
    path: "/api/v1/tickets/{id}/attachments",
    summary: "Upload a file (multipart/form-data: `file`, optional `commentId` of your own comment). Max ATTACHMENT_MAX_BYTES (10 MiB) → 413; type sniffed from the content against an allow-list → 415; empty → 400",
    tag: "attachments",
    auth: "any",
    pathId: true,
    status: 201,
    response: ZAttachment,
  },
  {
    method: "GET",
    path: "/api/v1/attachments/{id}",
    summary: "Download an attachment: its bytes with the sniffed Content-Type, Content-Disposition: attachment (RFC 6266 name chosen by the server) and X-Content-Type-Options: nosniff",
    tag: "attachments",
    auth: "any",
    pathId: true,
    status: 200,
    response: null,
  },
];
