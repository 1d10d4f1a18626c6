import { z, type ZodType } from "zod";
import { ZChangePassword } from "../auth/change-password";
import { ZGrantToken } from "../auth/grant-token";
import { ZCreateToken } from "../auth/manage-tokens";
import {
  page, ZComment, ZCreateComment, ZCreateTicket, ZListPage, ZListTickets, ZTicketEvent, ZTicketForCaller, ZUpdateTicket,
} from "../tickets/schemas";
import { ZSlaSettings } from "../orgs/customer-sla";
import { ZListNotifications, ZMarkRead, ZNotification } from "../notifications/list-notifications";
import { ZCreatePolicy, ZPolicy, ZUpdatePolicy } from "../sla-policies/schemas";
import { ZCreateWebhook, ZDelivery, ZListDeliveries, ZUpdateWebhook, ZWebhook } from "../webhooks/manage-webhooks";
import { ERROR_STATUS } from "../core/errors";
import { ZFlag, ZPutFlag } from "../flags/flags";
import { ZAuditEvent, ZListAudit } from "../audit/list-audit";
import { USER_OPERATIONS } from "../users/openapi";
import { ATTACHMENT_OPERATIONS } from "../attachments/openapi";
import { EXPORT_OPERATIONS } from "../export/openapi";
import { JOB_OPERATIONS } from "../jobs/openapi";

// The API's contract in one list, built from the same zod schemas the handlers parse with.
// GET /api/openapi.json renders it; a test checks that every route file has an entry here.

type Auth = "public" | "any" | "staff" | "admin";
export type Operation = {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  summary: string;
  tag: string;
  auth: Auth;
  query?: ZodType;
  body?: ZodType;
  pathId?: boolean;
  status: number;
  response: ZodType | null;
};

const ZMe = z.object({ id: z.uuid(), email: z.string(), name: z.string(), role: z.enum(["admin", "agent", "customer"]), orgId: z.uuid(), mustChangePassword: z.boolean() });
const ZTokenItem = z.object({ id: z.uuid(), prefix: z.string(), name: z.string(), createdAt: z.iso.datetime(), lastUsedAt: z.iso.datetime().nullable(), expiresAt: z.iso.datetime().nullable() });
const ZSetup = z.strictObject({ token: z.string(), password: z.string().min(12) });
const ZVerify = z.object({ valid: z.boolean(), checked: z.number().int(), firstBrokenSeq: z.number().int().nullable() });

export const OPERATIONS: Operation[] = [
  { method: "POST", path: "/api/v1/auth/token", summary: "Exchange email and password for a bearer token (30 days)", tag: "auth", auth: "public", body: ZGrantToken, status: 201, response: z.object({ token: z.string(), expiresAt: z.iso.datetime() }) },
  { method: "POST", path: "/api/v1/auth/setup", summary: "Set a password with a one-time setup or invitation link", tag: "auth", auth: "public", body: ZSetup, status: 200, response: z.object({ email: z.string(), org: z.string() }) },
  { method: "GET", path: "/api/v1/me", summary: "The signed-in user", tag: "me", auth: "any", status: 200, response: ZMe },
  { method: "POST", path: "/api/v1/me/password", summary: "Change your password (ends every session and token)", tag: "me", auth: "any", body: ZChangePassword, status: 200, response: z.object({ ok: z.literal(true) }) },
  { method: "GET", path: "/api/v1/me/tokens", summary: "Your live API tokens", tag: "me", auth: "any", status: 200, response: z.object({ data: z.array(ZTokenItem) }) },
  { method: "POST", path: "/api/v1/me/tokens", summary: "Create an API token (shown once)", tag: "me", auth: "any", body: ZCreateToken, status: 201, response: z.object({ id: z.uuid(), token: z.string(), name: z.string(), expiresAt: z.iso.datetime().nullable() }) },
  { method: "DELETE", path: "/api/v1/me/tokens/{id}", summary: "Revoke one of your API tokens", tag: "me", auth: "any", pathId: true, status: 204, response: null },
  { method: "GET", path: "/api/v1/tickets", summary: "List tickets you may see (filters, sort, full-text q, keyset cursor). Customers get the customer view (no priority, tags, assignee; SLA fields only when the org shows them) and a 403 for filters or sorts on those fields", tag: "tickets", auth: "any", query: ZListTickets, status: 200, response: page(ZTicketForCaller) },
  { method: "POST", path: "/api/v1/tickets", summary: "Open a ticket with its first message (priority and tags are staff-only: a customer sending them gets 403 naming the fields)", tag: "tickets", auth: "any", body: ZCreateTicket, status: 201, response: ZTicketForCaller },
  { method: "GET", path: "/api/v1/tickets/{id}", summary: "A ticket with its SLA state (customers: the customer view; SLA state only when the org shows it to customers)", tag: "tickets", auth: "any", pathId: true, status: 200, response: ZTicketForCaller },
  { method: "PATCH", path: "/api/v1/tickets/{id}", summary: "Change status, priority, assignee, subject or tags (per role)", tag: "tickets", auth: "any", pathId: true, body: ZUpdateTicket, status: 200, response: ZTicketForCaller },
  { method: "GET", path: "/api/v1/tickets/{id}/comments", summary: "The conversation (internal notes for staff only)", tag: "tickets", auth: "any", pathId: true, query: ZListPage, status: 200, response: page(ZComment) },
  { method: "POST", path: "/api/v1/tickets/{id}/comments", summary: "Reply publicly or add an internal note (staff)", tag: "tickets", auth: "any", pathId: true, body: ZCreateComment, status: 201, response: ZComment },
  { method: "GET", path: "/api/v1/tickets/{id}/events", summary: "Audit and SLA history of a ticket", tag: "tickets", auth: "staff", pathId: true, status: 200, response: z.object({ data: z.array(ZTicketEvent) }) },
  { method: "GET", path: "/api/v1/notifications", summary: "Your notifications, newest first, with the unread count", tag: "notifications", auth: "any", query: ZListNotifications, status: 200, response: page(ZNotification).extend({ unreadCount: z.number().int() }) },
  { method: "POST", path: "/api/v1/notifications/read", summary: "Mark some ({ids}) or all ({all: true}) of your notifications read", tag: "notifications", auth: "any", body: ZMarkRead, status: 200, response: z.object({ updated: z.number().int() }) },
  { method: "GET", path: "/api/v1/org/sla-settings", summary: "Whether customers see SLA targets and due times on their tickets (off by default)", tag: "sla", auth: "admin", status: 200, response: ZSlaSettings },
  { method: "PUT", path: "/api/v1/org/sla-settings", summary: "Show or hide SLA targets and due times to customers (API and portal); audited", tag: "sla", auth: "admin", body: ZSlaSettings, status: 200, response: ZSlaSettings },
  { method: "GET", path: "/api/v1/sla-policies", summary: "SLA policies of the org, one per priority, with calendars", tag: "sla", auth: "admin", status: 200, response: z.object({ data: z.array(ZPolicy) }) },
  { method: "POST", path: "/api/v1/sla-policies", summary: "Create a priority's SLA policy (open tickets re-applied in a job)", tag: "sla", auth: "admin", body: ZCreatePolicy, status: 201, response: ZPolicy },
  { method: "PATCH", path: "/api/v1/sla-policies/{id}", summary: "Change a policy or its calendar (open tickets re-applied in a job)", tag: "sla", auth: "admin", pathId: true, body: ZUpdatePolicy, status: 200, response: ZPolicy },
  { method: "DELETE", path: "/api/v1/sla-policies/{id}", summary: "Remove a policy (its tickets lose unmet targets)", tag: "sla", auth: "admin", pathId: true, status: 204, response: null },
  { method: "GET", path: "/api/v1/webhooks", summary: "Webhooks of the org", tag: "webhooks", auth: "admin", status: 200, response: z.object({ data: z.array(ZWebhook) }) },
  { method: "POST", path: "/api/v1/webhooks", summary: "Create a webhook; its signing secret is returned once (503 feature_disabled while the webhooks feature is off)", tag: "webhooks", auth: "admin", body: ZCreateWebhook, status: 201, response: ZWebhook },
  { method: "PATCH", path: "/api/v1/webhooks/{id}", summary: "Change a webhook or rotate its secret", tag: "webhooks", auth: "admin", pathId: true, body: ZUpdateWebhook, status: 200, response: ZWebhook },
  { method: "DELETE", path: "/api/v1/webhooks/{id}", summary: "Delete a webhook", tag: "webhooks", auth: "admin", pathId: true, status: 204, response: null },
  { method: "GET", path: "/api/v1/webhooks/{id}/deliveries", summary: "A webhook's deliveries, newest first", tag: "webhooks", auth: "admin", pathId: true, query: ZListDeliveries, status: 200, response: page(ZDelivery) },
  { method: "GET", path: "/api/v1/feature-flags", summary: "Effective feature flags for the org (env kill switch, org, global, default)", tag: "operations", auth: "admin", status: 200, response: z.object({ data: z.array(ZFlag) }) },
  { method: "PUT", path: "/api/v1/feature-flags", summary: "Set (or with enabled: null clear) an org-level flag", tag: "operations", auth: "admin", body: ZPutFlag, status: 200, response: z.object({ data: z.array(ZFlag) }) },
  { method: "GET", path: "/api/v1/audit", summary: "The org's audit chain, newest first (filters: action, entityType, entityId, actorId)", tag: "audit", auth: "admin", query: ZListAudit, status: 200, response: page(ZAuditEvent) },
  { method: "GET", path: "/api/v1/audit/verify", summary: "Verify the org's audit hash chain", tag: "audit", auth: "admin", status: 200, response: ZVerify },
  ...USER_OPERATIONS,
  ...ATTACHMENT_OPERATIONS,
  ...EXPORT_OPERATIONS,
  ...JOB_OPERATIONS,
];

const ZError = z.object({ error: z.object({ code: z.enum(Object.keys(ERROR_STATUS) as [string, ...string[]]), message: z.string(), details: z.unknown().optional() }) });

const schema = (s: ZodType, io: "input" | "output") => z.toJSONSchema(s, { io, unrepresentable: "any", target: "openapi-3.0" });

function parameters(op: Operation) {
  const params: object[] = [];
  if (op.pathId) params.push({ name: "id", in: "path", required: true, schema: { type: "string", format: "uuid" } });
  if (op.query) {
    const js = schema(op.query, "input") as { properties?: Record<string, object>; required?: string[] };
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      params.push({ name, in: "query", required: js.required?.includes(name) ?? false, schema: s });
    }
  }
  return params;
}

function errorResponses(op: Operation) {
  const codes = new Set<number>([400, 429, 500, 503]);
  if (op.auth !== "public") codes.add(401);
  if (op.auth === "staff" || op.auth === "admin" || op.method !== "GET") codes.add(403);
  if (op.pathId) codes.add(404);
  if (op.method !== "GET" && op.pathId) codes.add(409);
  if (op.body) [413, 415].forEach((c) => codes.add(c));
  return Object.fromEntries([...codes].sort().map((c) => [String(c), { $ref: "#/components/responses/Error" }]));
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    paths[op.path] ??= {};
    paths[op.path]![op.method.toLowerCase()] = {
      summary: op.summary,
      tags: [op.tag],
      security: op.auth === "public" ? [] : [{ bearer: [] }, { session: [] }],
      "x-beacon-roles": op.auth,
      parameters: parameters(op),
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: schema(op.body, "input") } } } } : {}),
      responses: {
        [String(op.status)]: op.response
          ? { description: "OK", content: { "application/json": { schema: schema(op.response, "output") } } }
          : { description: "No content" },
        ...errorResponses(op),
      },
    };
  }
  return {
    openapi: "3.0.3",
    info: { title: "Beacon API", version: "1", description: "Multi-tenant helpdesk API. Every response carries X-Request-Id; errors are {\"error\":{code,message,details?}}." },
    servers: [{ url: "/" }],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "API token from POST /api/v1/auth/token or /api/v1/me/tokens" },
        session: { type: "apiKey", in: "cookie", name: "next-auth.session-token" },
      },
      responses: { Error: { description: "Error", content: { "application/json": { schema: schema(ZError, "output") } } } },
    },
  };
}
