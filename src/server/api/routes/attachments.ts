import "server-only";
import { z } from "zod";
import { addAttachment, authorizeAttachment } from "../../attachments/add-attachment";
import { downloadAttachment } from "../../attachments/download-attachment";
import { listAttachments } from "../../attachments/list-attachments";
import { ZAttachment } from "../../attachments/schemas";
import { zUuidParam } from "../../http/route";
import { page, ZListPage } from "../../tickets/schemas";
import { defineOperation, defineStreamingOperation } from "../operation";

// A ticket's files: list, upload (streamed, never buffered) and download (the file's bytes).

const ZUpload = z.object({
  file: z.string().meta({ format: "binary", description: "The file; its type is sniffed from the content" }),
  commentId: z.uuid().optional().meta({ description: "One of your own comments on this ticket to attach it to" }),
});

export const ATTACHMENT_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}/attachments",
    operationId: "listAttachments",
    summary: "A ticket's attachments (internal notes' files for staff only)",
    tag: "attachments",
    can: "signed-in",
    params: zUuidParam,
    query: ZListPage,
    status: 200,
    response: page(ZAttachment),
    feature: "attachments",
    handler: (scope, { params, query }) => listAttachments(scope, params.id, query),
  }),
  defineStreamingOperation({
    method: "POST",
    path: "/api/v1/tickets/{id}/attachments",
    operationId: "uploadAttachment",
    idempotent: true,
    summary:
      "Upload a file (multipart/form-data: `file`, optional `commentId` of your own comment). Max ATTACHMENT_MAX_BYTES (10 MiB) → 413; " +
      "type sniffed from the content against an allow-list → 415; empty → 400",
    tag: "attachments",
    can: "signed-in",
    params: zUuidParam,
    multipart: ZUpload,
    status: 201,
    response: ZAttachment,
    feature: "attachments",
    // Authorized in the admitting transaction before a byte is read; the file streams with no
    // transaction open and is recorded in a second short one.
    prepare: (scope, { params }) => authorizeAttachment(scope, params.id),
    handler: (scope, { upload }, authorized) => addAttachment(scope, upload, authorized),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/attachments/{id}",
    operationId: "downloadAttachment",
    summary:
      "Download an attachment: its bytes with the sniffed Content-Type, Content-Disposition: attachment (RFC 6266 name chosen by the server) " +
      "and X-Content-Type-Options: nosniff",
    tag: "attachments",
    can: "signed-in",
    params: zUuidParam,
    status: 200,
    response: null,
    rawResponse: {
      mediaType: "*/*",
      description: "The file's bytes, with the Content-Type sniffed when it was uploaded (from an allow-list of types)",
    },
    responseHeaders: {
      "Content-Disposition":
        'attachment; filename="…" (RFC 6266; the name is chosen by the server from the uploaded one)',
      "X-Content-Type-Options": "nosniff",
    },
    feature: "attachments",
    handler: (scope, { params }) => downloadAttachment(scope, params.id),
  }),
];
