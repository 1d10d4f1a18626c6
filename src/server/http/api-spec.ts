import { z, type ZodType } from "zod";
import { page } from "../tickets/schemas";
import { ZListNotifications, ZMarkRead, ZNotification } from "../notifications/list-notifications";
import { ZCreatePolicy, ZPolicy, ZUpdatePolicy } from "../sla-policies/schemas";
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
  /** A multipart/form-data body the handler streams itself (uploads). */
  multipart?: ZodType;
  /** A raw body of one media type the handler reads itself (message/rfc822 for the email webhook). */
  rawBody?: { mediaType: string; description: string };
  /** Request headers read (name → what they do) and headers of a successful response (name → what they carry). */
  requestHeaders?: Record<string, string>;
  responseHeaders?: Record<string, string>;
  /** Path parameters: a schema (table operations), or pathId for the legacy `{id}` UUID. */
  params?: ZodType;
  pathId?: boolean;
  status: number;
  response: ZodType | null;
};

export const OPERATIONS: Operation[] = [
  { method: "GET", path: "/api/v1/notifications", summary: "Your notifications, newest first, with the unread count", tag: "notifications", auth: "any", query: ZListNotifications, status: 200, response: page(ZNotification).extend({ unreadCount: z.number().int() }) },
  { method: "POST", path: "/api/v1/notifications/read", summary: "Mark some ({ids}) or all ({all: true}) of your notifications read", tag: "notifications", auth: "any", body: ZMarkRead, status: 200, response: z.object({ updated: z.number().int() }) },
  { method: "GET", path: "/api/v1/sla-policies", summary: "SLA policies of the org, one per priority, with calendars", tag: "sla", auth: "admin", status: 200, response: z.object({ data: z.array(ZPolicy) }) },
  { method: "POST", path: "/api/v1/sla-policies", summary: "Create a priority's SLA policy (open tickets re-applied in a job)", tag: "sla", auth: "admin", body: ZCreatePolicy, status: 201, response: ZPolicy },
  { method: "PATCH", path: "/api/v1/sla-policies/{id}", summary: "Change a policy or its calendar (open tickets re-applied in a job)", tag: "sla", auth: "admin", pathId: true, body: ZUpdatePolicy, status: 200, response: ZPolicy },
  { method: "DELETE", path: "/api/v1/sla-policies/{id}", summary: "Remove a policy (its tickets lose unmet targets)", tag: "sla", auth: "admin", pathId: true, status: 204, response: null },
  ...EXPORT_OPERATIONS,
  ...JOB_OPERATIONS,
];
