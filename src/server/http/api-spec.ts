import type { ZodType } from "zod";

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

export const OPERATIONS: Operation[] = [];
