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
import { USER_OPERATIONS } from "../users/openapi";
import { ATTACHMENT_OPERATIONS } from "../attachments/openapi";
import { EXPORT_OPERATIONS } from "../export/openapi";
import { JOB_OPERATIONS } from "../jobs/openapi";

// The contract of the endpoints still served by their own route files, built from the same zod
// schemas the handlers parse with. Endpoints in the route table (src/server/api/table.ts) are
// documented from the table instead; src/server/api/openapi.ts merges both into the document, and
// a test checks that every route file and every table operation is in it exactly once.

export type Auth = "public" | "any" | "staff" | "admin";
export type Operation = {
  method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
  path: string;
  /** Only table operations have one so far (src/server/api/openapi.ts). */
  operationId?: string;
  description?: string;
  summary: string;
  tag: string;
  auth: Auth;
  query?: ZodType;
  body?: ZodType;
  /** Path parameters: a schema (table operations), or pathId for the legacy `{id}` UUID. */
  params?: ZodType;
  pathId?: boolean;
  status: number;
  response: ZodType | null;
};

const ZMe = z.object({ id: z.uuid(), email: z.string(), name: z.string(), role: z.enum(["admin", "agent", "customer"]), orgId: z.uuid(), mustChangePassword: z.boolean() });
const ZTokenItem = z.object({ id: z.uuid(), prefix: z.string(), name: z.string(), createdAt: z.iso.datetime(), lastUsedAt: z.iso.datetime().nullable(), expiresAt: z.iso.datetime().nullable() });
const ZSetup = z.strictObject({ token: z.string(), password: z.string().min(12) });

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
  ...USER_OPERATIONS,
  ...ATTACHMENT_OPERATIONS,
  ...EXPORT_OPERATIONS,
  ...JOB_OPERATIONS,
];
