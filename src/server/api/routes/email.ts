import "server-only";
import { z } from "zod";
import { zUuidParam } from "../../http/route";
import {
  createAddress,
  deleteAddress,
  getAddress,
  listAddresses,
  updateAddress,
  ZAddress,
  ZCreateAddress,
  ZUpdateAddress,
} from "../../email/addresses";
import {
  getEmailSettings,
  updateEmailSettings,
  ZEmailSettings,
  ZUpdateEmailSettings,
} from "../../email/email-settings";
import {
  getInboundSecret,
  receiveInboundWebhook,
  revokeInboundSecret,
  rotateInboundSecret,
  ZInboundSecret,
  ZNewInboundSecret,
} from "../../email/inbound-webhook";
import { addCc, clearUserBounce, listCcs, removeCc, ZAddTicketCc, ZTicketCc } from "../../email/ticket-ccs";
import {
  connectMailbox,
  disconnectMailbox,
  listMailboxes,
  updateMailbox,
  ZConnectMailbox,
  ZUpdateMailbox,
} from "../../email/mailboxes";
import { originalMessage } from "../../email/original-message";
import { downloadInboundMessage, listWaitingInbound, ZInboundItem, ZListInbound } from "../../email/inbound-admin";
import {
  listEmailTemplates,
  putEmailTemplate,
  resetEmailTemplate,
  ZEmailTemplate,
  ZPutEmailTemplate,
  ZTemplateKindParam,
} from "../../email/templates";
import { wholeList, zWholeList } from "../../core/list-page";
import { defineOperation } from "../operation";

// The email channel's endpoints (issue 12 items 1, 2, 5, 8; SPEC §11): support addresses, IMAP
// mailboxes, the provider webhook and its secret, and a ticket's CCs.

export const ZMailbox = z.object({
  id: z.uuid(),
  addressId: z.uuid(),
  address: z.string(),
  host: z.string(),
  port: z.number().int(),
  tlsMode: z.enum(["tls", "starttls", "none"]),
  username: z.string(),
  folder: z.string(),
  afterImport: z.enum(["mark_seen", "move"]),
  moveTo: z.string().nullable(),
  enabled: z.boolean(),
  uidValidity: z.number().nullable(),
  lastUid: z.number(),
  lastFetchedAt: z.iso.datetime().nullable(),
  lastError: z.string().nullable(),
  lastErrorAt: z.iso.datetime().nullable(),
  consecutiveFailures: z.number().int(),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

const ADDRESS_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/email/addresses",
    operationId: "listEmailAddresses",
    summary: "The org's support addresses, the default first",
    tag: "email",
    can: "org.admin",
    status: 200,
    response: zWholeList(ZAddress),
    handler: (scope) => wholeList(listAddresses(scope)),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/email/addresses",
    operationId: "createEmailAddress",
    idempotent: true,
    summary: "Add a support address (409 conflict naming `address` when any org already has it, case-insensitive)",
    tag: "email",
    can: "org.admin",
    body: ZCreateAddress,
    status: 201,
    response: ZAddress,
    handler: (scope, { body }) => createAddress(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/email/addresses/{id}",
    operationId: "getEmailAddress",
    summary: "One support address",
    tag: "email",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZAddress,
    handler: (scope, { params }) => getAddress(scope, params),
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/email/addresses/{id}",
    operationId: "updateEmailAddress",
    summary: "Change a support address, its display name, or make it the default",
    tag: "email",
    can: "org.admin",
    params: zUuidParam,
    body: ZUpdateAddress,
    status: 200,
    response: ZAddress,
    handler: (scope, { params, body }) => updateAddress(scope, { ...body, id: params.id }),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/email/addresses/{id}",
    operationId: "deleteEmailAddress",
    summary: "Remove a support address (409 while an IMAP mailbox delivers for it)",
    tag: "email",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deleteAddress(scope, params),
  }),
];

const MAILBOX_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/email/mailboxes",
    operationId: "listEmailMailboxes",
    summary: "The org's IMAP mailboxes with their last fetch and last error (never the password)",
    tag: "email",
    can: "org.admin",
    status: 200,
    response: zWholeList(ZMailbox),
    handler: (scope) => wholeList(listMailboxes(scope)),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/email/mailboxes",
    operationId: "connectEmailMailbox",
    idempotent: true,
    summary:
      "Connect an IMAP mailbox: saved only after a live login and SELECT worked (400 naming the field otherwise); the password is write-only",
    tag: "email",
    can: "org.admin",
    body: ZConnectMailbox,
    status: 201,
    response: ZMailbox,
    handler: (scope, { body }) => connectMailbox(scope, body),
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/email/mailboxes/{id}",
    operationId: "updateEmailMailbox",
    summary: "Change a mailbox (connection changes are verified live again); the password is write-only",
    tag: "email",
    can: "org.admin",
    params: zUuidParam,
    body: ZUpdateMailbox.omit({ id: true }),
    status: 200,
    response: ZMailbox,
    handler: (scope, { params, body }) => updateMailbox(scope, { ...body, id: params.id }),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/email/mailboxes/{id}",
    operationId: "disconnectEmailMailbox",
    summary: "Disconnect a mailbox",
    tag: "email",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => disconnectMailbox(scope, params),
  }),
];

const WEBHOOK_INTAKE_OPERATIONS = [
  defineOperation({
    method: "POST",
    path: "/api/v1/email/inbound",
    operationId: "receiveInboundEmail",
    summary:
      "Provider webhook: one raw RFC 5322 message, committed before the 202 (the same message again: the same answer, stored once)",
    description:
      "Authenticated by the org's inbound secret (POST /api/v1/email/inbound-secret) sent as `Authorization: Bearer <secret>`: 401 without it. " +
      "The message is stored for the support address it was delivered to (Delivered-To, X-Original-To, To or Cc, or `?recipient=`): 400 when none is the org's. " +
      "Over INBOUND_MAX_BYTES: 413. Not message/rfc822: 415. Intake switched off (email_inbound): 503 feature_disabled and nothing stored, so the provider retries (decision 039).",
    tag: "email",
    can: "public",
    errors: ["unauthenticated"],
    query: z.strictObject({ recipient: z.string().max(320).optional() }),
    rawBody: {
      mediaType: "message/rfc822",
      description: "The raw message, exactly as received (up to INBOUND_MAX_BYTES)",
    },
    status: 202,
    response: z.object({ id: z.uuid() }),
    handler: (call, { query }) =>
      receiveInboundWebhook({
        authorization: call.req.headers.get("authorization"),
        contentType: call.req.headers.get("content-type"),
        contentLength: call.req.headers.get("content-length"),
        recipient: query.recipient,
        req: call.req,
      }),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/email/inbound-secret",
    operationId: "getInboundEmailSecret",
    summary: "Whether the provider webhook has a secret, and its last characters",
    tag: "email",
    can: "org.admin",
    status: 200,
    response: ZInboundSecret,
    handler: (scope) => getInboundSecret(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/email/inbound-secret",
    operationId: "rotateInboundEmailSecret",
    idempotent: true,
    summary: "Generate the provider webhook's secret, returned once in this answer (the previous one stops working)",
    tag: "email",
    can: "org.admin",
    status: 201,
    response: ZNewInboundSecret,
    handler: (scope) => rotateInboundSecret(scope),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/email/inbound-secret",
    operationId: "revokeInboundEmailSecret",
    summary: "Remove the provider webhook's secret: every delivery is 401 until a new one is generated",
    tag: "email",
    can: "org.admin",
    status: 204,
    response: null,
    handler: (scope) => revokeInboundSecret(scope),
  }),
];

const CC_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}/ccs",
    operationId: "listTicketCcs",
    summary: "A ticket's CCs (staff only: customers never see other participants' addresses)",
    tag: "email",
    can: "staff",
    params: zUuidParam,
    status: 200,
    response: zWholeList(ZTicketCc),
    handler: (scope, { params }) => wholeList(listCcs(scope, { ticketId: params.id })),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/tickets/{id}/ccs",
    operationId: "addTicketCc",
    idempotent: true,
    summary:
      "Copy an address on a ticket (an unknown address becomes a customer, as inbound mail does); already copied: the same CC",
    tag: "email",
    can: "staff",
    params: zUuidParam,
    body: ZAddTicketCc,
    status: 201,
    response: ZTicketCc,
    handler: (scope, { params, body }) => addCc(scope, { ticketId: params.id, email: body.email }),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/tickets/{id}/ccs/{ccId}",
    operationId: "removeTicketCc",
    summary: "Stop copying an address on a ticket (ccId: the CC's address)",
    tag: "email",
    can: "staff",
    params: z.object({ id: z.uuid({ message: "must be a UUID" }), ccId: z.string().min(3).max(320) }),
    status: 204,
    response: null,
    handler: (scope, { params }) => removeCc(scope, { ticketId: params.id, ccId: params.ccId }),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/tickets/{id}/comments/{commentId}/original",
    operationId: "downloadOriginalEmail",
    summary:
      "The raw message an email comment came in as, byte for byte (staff only; a comment that did not come by email: 404)",
    tag: "email",
    can: "staff",
    params: z.object({ id: z.uuid({ message: "must be a UUID" }), commentId: z.uuid({ message: "must be a UUID" }) }),
    status: 200,
    response: null,
    rawResponse: {
      mediaType: "message/rfc822",
      description: "The stored message, as a download (<ticket number>-<comment>.eml)",
    },
    responseHeaders: {
      "Content-Disposition": 'attachment; filename="<ticket number>-<comment>.eml"',
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
    },
    handler: (scope, { params }) => originalMessage(scope, { ticketId: params.id, commentId: params.commentId }),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/users/{id}/bounce",
    operationId: "clearUserBounce",
    summary: "Clear a user's bouncing mark (and their address's on tickets' CCs): mail goes to them again",
    tag: "email",
    can: "staff",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => clearUserBounce(scope, { userId: params.id }),
  }),
];

const SETTINGS_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/email/settings",
    operationId: "getEmailSettings",
    summary: "The org's inbound-mail settings: the hourly new-ticket cap per sender and the DMARC-refuse domains",
    tag: "email",
    can: "org.admin",
    status: 200,
    response: ZEmailSettings,
    handler: (scope) => getEmailSettings(scope),
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/email/settings",
    operationId: "updateEmailSettings",
    summary: "Change the org's inbound-mail settings (audited)",
    tag: "email",
    can: "org.admin",
    body: ZUpdateEmailSettings,
    status: 200,
    response: ZEmailSettings,
    handler: (scope, { body }) => updateEmailSettings(scope, body),
  }),
];

const TEMPLATE_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/email/templates",
    operationId: "listEmailTemplates",
    summary:
      "The customer-facing email templates (acknowledgement of a ticket opened by email, solve), the org's own or the default",
    tag: "email",
    can: "org.admin",
    status: 200,
    response: z.object({ data: z.array(ZEmailTemplate) }),
    handler: (scope) => listEmailTemplates(scope),
  }),
  defineOperation({
    method: "PUT",
    path: "/api/v1/email/templates/{kind}",
    operationId: "putEmailTemplate",
    summary:
      "Replace a customer-facing email template (kind: acknowledgement or solved); an unknown {{placeholder}} is a 400 naming it (audited)",
    tag: "email",
    can: "org.admin",
    params: ZTemplateKindParam,
    body: ZPutEmailTemplate,
    status: 200,
    response: ZEmailTemplate,
    handler: (scope, { params, body }) => putEmailTemplate(scope, params.kind, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/email/templates/{kind}",
    operationId: "resetEmailTemplate",
    summary: "Go back to the built-in default of a customer-facing email template (audited)",
    tag: "email",
    can: "org.admin",
    params: ZTemplateKindParam,
    status: 200,
    response: ZEmailTemplate,
    handler: (scope, { params }) => resetEmailTemplate(scope, params.kind),
  }),
];

const WAITING_INBOUND_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/email/inbound",
    operationId: "listWaitingInboundEmail",
    summary:
      "Inbound messages that wait: held by the hourly per-sender cap (with when they are applied) or failed every retry (dead-lettered), newest first",
    tag: "email",
    can: "org.admin",
    query: ZListInbound,
    status: 200,
    response: z.object({ data: z.array(ZInboundItem) }),
    handler: (scope, { query }) => listWaitingInbound(scope, query),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/email/inbound/{id}/raw",
    operationId: "downloadInboundEmail",
    summary: "A stored inbound message of the org, byte for byte, as a download (admin only; another org's id: 404)",
    tag: "email",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: null,
    rawResponse: { mediaType: "message/rfc822", description: "The stored message, as a download (inbound-<id>.eml)" },
    responseHeaders: {
      "Content-Disposition": 'attachment; filename="inbound-<id>.eml"',
      "X-Content-Type-Options": "nosniff",
      "Cache-Control": "private, no-store",
    },
    handler: (scope, { params }) => downloadInboundMessage(scope, params.id),
  }),
];

export const EMAIL_OPERATIONS = [
  ...ADDRESS_OPERATIONS,
  ...MAILBOX_OPERATIONS,
  ...WEBHOOK_INTAKE_OPERATIONS,
  ...CC_OPERATIONS,
  ...SETTINGS_OPERATIONS,
  ...TEMPLATE_OPERATIONS,
  ...WAITING_INBOUND_OPERATIONS,
];
