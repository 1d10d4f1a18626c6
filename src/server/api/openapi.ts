import "server-only";
import { z, type ZodType } from "zod";
import type { RouteRule } from "../authz/rules";
import { ERROR_STATUS } from "../core/errors";
import type { ApiOperation } from "./operation";
import { openApiWebhooks } from "./openapi-webhooks";
import { TABLE } from "./table";

// The OpenAPI document, generated from the route table: every operation from its one definition
// (docs/decisions/032-route-table.md). GET /api/openapi.json serves it.

/** Who may call an operation, as the document's x-beacon-roles says it. */
export type Auth = "public" | "any" | "staff" | "admin";

/** One documented operation: a table operation's contract with its roles as the document shows them. */
export type Operation = Pick<
  ApiOperation,
  | "method" | "path" | "operationId" | "summary" | "description" | "tag" | "params" | "query" | "body" | "multipart" | "rawBody" | "rawResponse"
  | "requestHeaders" | "responseHeaders" | "status" | "response"
> & { auth: Auth };

const AUTH_OF: Record<RouteRule, Auth> = { public: "public", "signed-in": "any", staff: "staff", "org.admin": "admin" };

function fromTable(op: ApiOperation): Operation {
  return {
    method: op.method, path: op.path, operationId: op.operationId, summary: op.summary, description: op.description, tag: op.tag,
    auth: AUTH_OF[op.domainCan ?? op.can], params: op.params, query: op.query, body: op.body, multipart: op.multipart, rawBody: op.rawBody, rawResponse: op.rawResponse,
    requestHeaders: op.requestHeaders, responseHeaders: op.responseHeaders, status: op.status, response: op.response,
  };
}

/** Every documented operation: the route table's, in its order. */
export function documentedOperations(): Operation[] {
  return TABLE.map(fromTable);
}

const ZError = z.object({ error: z.object({ code: z.enum(Object.keys(ERROR_STATUS) as [string, ...string[]]), message: z.string(), details: z.unknown().optional() }) });

const schema = (s: ZodType, io: "input" | "output") => z.toJSONSchema(s, { io, unrepresentable: "any", target: "openapi-3.0" });

type ObjectSchema = { properties?: Record<string, object>; required?: string[] };

function parameters(op: Operation) {
  const params: object[] = [];
  if (op.params) {
    const js = schema(op.params, "input") as ObjectSchema;
    for (const [name, s] of Object.entries(js.properties ?? {})) params.push({ name, in: "path", required: true, schema: s });
  }
  for (const [name, description] of Object.entries(op.requestHeaders ?? {})) {
    params.push({ name, in: "header", required: false, description, schema: { type: "string" } });
  }
  if (op.query) {
    const js = schema(op.query, "input") as ObjectSchema;
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      params.push({ name, in: "query", required: js.required?.includes(name) ?? false, schema: s });
    }
  }
  return params;
}

function errorResponses(op: Operation) {
  const hasPathParams = op.params !== undefined;
  const codes = new Set<number>([400, 429, 500, 503]);
  if (op.auth !== "public") codes.add(401);
  if (op.auth === "staff" || op.auth === "admin" || op.method !== "GET") codes.add(403);
  if (hasPathParams) codes.add(404);
  if (op.method !== "GET" && hasPathParams) codes.add(409);
  if (op.body || op.multipart || op.rawBody) [413, 415].forEach((c) => codes.add(c));
  if (op.requestHeaders?.["If-Match"]) codes.add(412);
  if (op.requestHeaders?.["Idempotency-Key"]) [409, 422].forEach((c) => codes.add(c));
  return Object.fromEntries([...codes].sort().map((c) => [String(c), { $ref: "#/components/responses/Error" }]));
}

function responseHeaders(op: Operation) {
  const entries = Object.entries(op.responseHeaders ?? {});
  if (!entries.length) return {};
  return { headers: Object.fromEntries(entries.map(([name, description]) => [name, { description, schema: { type: "string" } }])) };
}

export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of documentedOperations()) {
    paths[op.path] ??= {};
    paths[op.path]![op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      security: op.auth === "public" ? [] : [{ bearer: [] }, { session: [] }],
      "x-beacon-roles": op.auth,
      parameters: parameters(op),
      ...(op.body ? { requestBody: { required: true, content: { "application/json": { schema: schema(op.body, "input") } } } } : {}),
      ...(op.multipart ? { requestBody: { required: true, content: { "multipart/form-data": { schema: schema(op.multipart, "input") } } } } : {}),
      ...(op.rawBody ? { requestBody: { required: true, description: op.rawBody.description, content: { [op.rawBody.mediaType]: { schema: { type: "string", format: "binary" } } } } } : {}),
      responses: {
        [String(op.status)]: op.response
          ? { description: "OK", ...responseHeaders(op), content: { "application/json": { schema: schema(op.response, "output") } } }
          : op.rawResponse
            ? { description: op.rawResponse.description, ...responseHeaders(op), content: { [op.rawResponse.mediaType]: { schema: { type: "string", format: "binary" } } } }
            : { description: "No content" },
        ...errorResponses(op),
      },
    };
  }
  const doc = {
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
  // The webhooks Beacon sends (decision 043), from their own module.
  return { ...doc, ...openApiWebhooks(doc.openapi) };
}
