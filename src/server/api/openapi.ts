import "server-only";
import { createHash } from "node:crypto";
import { z, type ZodType } from "zod";
import type { RouteRule } from "../authz/rules";
import { ERROR_STATUS, type ErrorCode } from "../core/errors";
import { PARAM_DOC_META } from "../core/list-page";
import { COMPONENT_SCHEMAS } from "./components";
import type { ApiOperation } from "./operation";
import { openApiWebhooks } from "./openapi-webhooks";
import { TABLE } from "./table";

// The OpenAPI document, generated from the route table: every operation from its one definition
// (docs/decisions/032-route-table.md), with the shared schemas, headers and error responses as
// components (docs/decisions/044-api-contract.md). GET /api/openapi.json serves it; `npm test`
// lints it with redocly and compiles a typed client against it (tests/unit/openapi-contract.test.ts).

/** Who may call an operation, as the document's x-beacon-roles says it. */
export type Auth = "public" | "any" | "staff" | "admin";

/** One documented operation: a table operation's contract with its roles as the document shows them. */
export type Operation = Pick<
  ApiOperation,
  | "method"
  | "path"
  | "operationId"
  | "summary"
  | "description"
  | "tag"
  | "params"
  | "query"
  | "body"
  | "multipart"
  | "rawBody"
  | "rawResponse"
  | "requestHeaders"
  | "responseHeaders"
  | "status"
  | "response"
  | "errors"
  | "needs"
> & { auth: Auth };

const AUTH_OF: Record<RouteRule, Auth> = { public: "public", "signed-in": "any", staff: "staff", "org.admin": "admin" };

const ROLE_TEXT: Record<Auth, string> = {
  public: "No sign-in needed.",
  any: "Any signed-in user: customer, agent or admin (what each may see and change is the operation's own rule).",
  staff: "Agents and admins.",
  admin: "Admins.",
};

function fromTable(op: ApiOperation): Operation {
  return {
    method: op.method,
    path: op.path,
    operationId: op.operationId,
    summary: op.summary,
    description: op.description,
    tag: op.tag,
    auth: AUTH_OF[op.domainCan ?? op.can],
    params: op.params,
    query: op.query,
    body: op.body,
    multipart: op.multipart,
    rawBody: op.rawBody,
    rawResponse: op.rawResponse,
    requestHeaders: op.requestHeaders,
    responseHeaders: op.responseHeaders,
    status: op.status,
    response: op.response,
    errors: op.errors,
    needs: op.needs,
  };
}

/** Every documented operation: the route table's, in its order. */
export function documentedOperations(): Operation[] {
  return TABLE.map(fromTable);
}

export const TAGS: Record<string, string> = {
  auth: "Signing in without a session: exchange a password for a bearer token, or set a password through a one-time link.",
  me: "The signed-in caller's own account: profile, password, API tokens and two-factor sign-in.",
  tickets: "Tickets and their conversation and history.",
  attachments: "Files on tickets: upload (streamed, multipart/form-data), list and download.",
  users: "People of the organization (administrators manage them; agents look them up).",
  notifications: "The caller's own in-app notifications.",
  sla: "SLA policies: response and resolution targets per priority.",
  webhooks: "Outgoing webhooks and their deliveries.",
  email: "Support addresses, IMAP mailboxes, the inbound mail webhook and email settings.",
  org: "Organization settings and API tokens.",
  export: "Bulk and incremental ticket export.",
  imports:
    "Moving in from another helpdesk: upload an export (Zendesk today), imported by a job in resumable slices, with progress and a check report.",
  audit: "The tamper-evident audit chain.",
  jobs: "Background jobs that failed for good (dead letters).",
  operations: "Feature switches of the organization.",
  fields:
    "Custom ticket fields: definitions an admin manages; tickets carry their values as customFields and are filtered with ?cf.<key>=.",
  views: "Saved ticket views: filters, columns and sort, personal or shared with the org or a group, with counts.",
  customers:
    "Customer organizations (companies matched by email domain), notes about customers, and a requester's context.",
  satisfaction:
    "Customer satisfaction (CSAT): the requester's good/bad rating of a solved ticket, by signed link or in the portal.",
  automation:
    "Triggers, time rules (automations), agent groups and macros: the rules that route, tag, assign and escalate tickets, and one-click answers.",
};

// --- schemas ----------------------------------------------------------------------------------

const ZError = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({
    description: "The error envelope of every /api/v1 error, unless the client asked for application/problem+json.",
  });

const ZProblem = z
  .object({
    type: z.string().meta({ description: "tag:beacon,2026:problem:<code>" }),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.enum(Object.keys(ERROR_STATUS) as [ErrorCode, ...ErrorCode[]]),
    requestId: z.string(),
    details: z.unknown().optional(),
  })
  .meta({
    description:
      "RFC 9457 problem details, for a client that sends Accept: application/problem+json. `code` is the envelope's code.",
  });

const NAMES = new Map<unknown, string>([
  ...COMPONENT_SCHEMAS.map(([name, s]) => [s, name] as const),
  [ZError, "Error"],
  [ZProblem, "Problem"],
]);

/** The global registry's metadata (descriptions), plus the component name of the schemas in COMPONENT_SCHEMAS. */
const registry = {
  get(schema: ZodType) {
    const meta = z.globalRegistry.get(schema);
    const id = NAMES.get(schema);
    return id ? { ...meta, id } : meta;
  },
} as unknown as typeof z.globalRegistry;

type Json = Record<string, unknown>;

/** Collects the named schemas while operations are converted; an input and an output form that differ get two names. */
class Components {
  readonly schemas: Record<string, Json> = {};

  /** A zod schema as JSON Schema whose named parts are $refs into components.schemas. */
  convert(s: ZodType, io: "input" | "output"): Json {
    const { definitions = {}, ...root } = z.toJSONSchema(s, {
      io,
      unrepresentable: "any",
      target: "openapi-3.0",
      metadata: registry,
    }) as Json & {
      definitions?: Record<string, Json>;
    };
    const renamed = new Map<string, string>();
    const rewrite = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(rewrite);
      if (v && typeof v === "object") {
        // zod wraps a named schema in a one-element allOf (so 3.0 keeps sibling keywords); with none, the $ref alone says it.
        const keys = Object.keys(v);
        const allOf = (v as { allOf?: unknown[] }).allOf;
        if (keys.length === 1 && Array.isArray(allOf) && allOf.length === 1) return rewrite(allOf[0]);
        return Object.fromEntries(
          Object.entries(v).map(([k, x]) =>
            k === "$ref" && typeof x === "string" && x.startsWith(DEFS)
              ? [k, `#/components/schemas/${renamed.get(x.slice(DEFS.length)) ?? x.slice(DEFS.length)}`]
              : [k, rewrite(x)],
          ),
        );
      }
      return v;
    };
    // Name the parts whose own parts are named first, so equal schemas compare equal with their references resolved.
    const pending = new Map(Object.entries(definitions));
    while (pending.size) {
      const ready = [...pending].filter(([, def]) =>
        refsOf(def).every((r) => r === undefined || renamed.has(r) || !pending.has(r)),
      );
      for (const [name, def] of ready.length ? ready : [...pending]) {
        renamed.set(name, this.place(name, rewrite(def) as Json, io));
        pending.delete(name);
      }
    }
    return rewrite(root) as Json;
  }

  private place(name: string, def: Json, io: "input" | "output"): string {
    const same = (n: string) =>
      this.schemas[n] === undefined || JSON.stringify(this.schemas[n]) === JSON.stringify(def);
    const chosen = same(name) ? name : `${name}${io === "input" ? "Input" : "Output"}`;
    if (!same(chosen)) throw new Error(`OpenAPI components: two different schemas are named ${chosen}`);
    this.schemas[chosen] = def;
    return chosen;
  }
}

const DEFS = "#/definitions/";

/** The definitions a schema refers to. */
function refsOf(v: unknown): (string | undefined)[] {
  const text = JSON.stringify(v);
  return [...text.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g)].map((m) => m[1]);
}

// --- parameters, headers, responses -----------------------------------------------------------

type ObjectSchema = { properties?: Record<string, Json>; required?: string[] };
type ParamDoc = { schema: Json; style?: string; explode?: boolean };

function parameters(op: Operation, c: Components) {
  const params: Json[] = [];
  if (op.params) {
    const js = c.convert(op.params, "input") as ObjectSchema;
    for (const [name, s] of Object.entries(js.properties ?? {}))
      params.push({ name, in: "path", required: true, schema: s });
  }
  for (const [name, description] of Object.entries(op.requestHeaders ?? {})) {
    params.push({ name, in: "header", required: false, description, schema: { type: "string" } });
  }
  if (op.query) {
    const js = c.convert(op.query, "input") as ObjectSchema;
    for (const [name, s] of Object.entries(js.properties ?? {})) {
      // A parameter whose wire form (a string) differs from what it means carries its documented form (core/list-page.ts).
      const {
        [PARAM_DOC_META]: doc,
        description,
        ...schema
      } = s as Json & { [PARAM_DOC_META]?: ParamDoc; description?: string };
      params.push({
        name,
        in: "query",
        required: js.required?.includes(name) ?? false,
        ...(description ? { description } : {}),
        ...(doc
          ? { ...(doc.style ? { style: doc.style, explode: doc.explode } : {}), schema: doc.schema }
          : { schema }),
      });
    }
  }
  return params;
}

const ref = (kind: "schemas" | "headers" | "responses", name: string) => ({ $ref: `#/components/${kind}/${name}` });

const HEADERS: Record<string, Json> = {
  "X-Request-Id": {
    description:
      "The request's id, in every response and in the server's log line for it: quote it when reporting a problem. A caller's own X-Request-Id (8–128 of A-Z a-z 0-9 . _ : -) is kept.",
    schema: { type: "string" },
  },
  "RateLimit-Limit": {
    description:
      "Requests allowed in the current window of the tightest budget that applied (per IP, then per user, then search).",
    schema: { type: "integer" },
  },
  "RateLimit-Remaining": { description: "Requests left in that window.", schema: { type: "integer" } },
  "RateLimit-Reset": { description: "Seconds until that window resets.", schema: { type: "integer" } },
  "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" } },
  "Cache-Control": {
    description: "no-store on every API response, unless stated otherwise.",
    schema: { type: "string" },
  },
};

const COMMON_HEADERS = [
  "X-Request-Id",
  "Cache-Control",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
] as const;
const commonHeaders = () => Object.fromEntries(COMMON_HEADERS.map((h) => [h, ref("headers", h)]));

const ERROR_CONTENT = {
  "application/json": { schema: ref("schemas", "Error") },
  "application/problem+json": { schema: ref("schemas", "Problem") },
};

/** Each error status a response component, named as the status is. */
const ERROR_RESPONSES: Record<number, { name: string; description: string; headers?: readonly string[] }> = {
  400: {
    name: "BadRequest",
    description: "validation_failed (details.issues name each bad parameter or field), or invalid_cursor",
  },
  401: { name: "Unauthorized", description: "unauthenticated: no, invalid or expired credentials" },
  403: {
    name: "Forbidden",
    description:
      "forbidden: not allowed for your role, a pending sign-in step (details.reason), or a cross-site request",
  },
  404: { name: "NotFound", description: "not_found: no such resource, or one you may not see" },
  409: {
    name: "Conflict",
    description:
      "conflict: the change conflicts with existing data or a concurrent change; or idempotency_key_in_flight: a request with this Idempotency-Key is still running",
  },
  412: {
    name: "PreconditionFailed",
    description: "precondition_failed: If-Match does not name the current version (details.currentVersion)",
  },
  413: { name: "PayloadTooLarge", description: "payload_too_large: the request body is over the limit" },
  422: {
    name: "IdempotencyKeyReused",
    description:
      "idempotency_key_reused: this Idempotency-Key was used within 24 h for another request (method, path or body)",
  },
  415: {
    name: "UnsupportedMediaType",
    description: "unsupported_media_type: send the body in the documented media type",
  },
  429: {
    name: "RateLimited",
    description: "rate_limited: a request budget is spent; retry after Retry-After seconds",
    headers: ["Retry-After", "RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"],
  },
  500: {
    name: "InternalError",
    description: "internal: an unexpected error (the server's log line for X-Request-Id has the cause)",
  },
  503: {
    name: "Unavailable",
    description:
      "feature_disabled (the feature is switched off), or unavailable (the database is unreachable; retry after Retry-After seconds)",
    headers: ["Retry-After"],
  },
};

const RESPONSES: Record<string, Json> = Object.fromEntries(
  Object.values(ERROR_RESPONSES).map((r) => [
    r.name,
    {
      description: r.description,
      headers: Object.fromEntries(["X-Request-Id", ...(r.headers ?? [])].map((h) => [h, ref("headers", h)])),
      content: ERROR_CONTENT,
    },
  ]),
);

/** Every status the operation can answer besides its success: derived from its shape, plus what it declares (`errors`). */
export function errorStatuses(op: Operation): number[] {
  const codes = new Set<number>([400, 429, 500, 503]);
  if (op.auth !== "public") [401, 403].forEach((c) => codes.add(c));
  if (op.params !== undefined) codes.add(404);
  if (op.method !== "GET") codes.add(409);
  // Any body but a GET's is read (and refused when the operation takes none): too large is a 413 wherever one is read.
  if (op.method !== "GET") codes.add(413);
  if (op.body || op.multipart || op.rawBody) codes.add(415);
  if (op.requestHeaders?.["If-Match"]) codes.add(412);
  if (op.requestHeaders?.["Idempotency-Key"]) [409, 422].forEach((c) => codes.add(c));
  for (const code of op.errors ?? []) codes.add(ERROR_STATUS[code]);
  return [...codes].sort();
}

const errorResponses = (op: Operation) =>
  Object.fromEntries(errorStatuses(op).map((c) => [String(c), ref("responses", ERROR_RESPONSES[c]!.name)]));

function successHeaders(op: Operation) {
  const own = Object.entries(op.responseHeaders ?? {}).map(([name, description]) => [
    name,
    { description, schema: { type: "string" } },
  ]);
  return { headers: { ...commonHeaders(), ...Object.fromEntries(own) } };
}

function success(op: Operation, c: Components): Json {
  if (op.response) {
    // A JSON answer that a query parameter can turn into raw bytes (an import's report as text) lists both.
    const raw = op.rawResponse ? [op.rawResponse.mediaType].flat() : [];
    return {
      description: op.rawResponse ? `OK. ${op.rawResponse.description}` : "OK",
      ...successHeaders(op),
      content: {
        "application/json": { schema: c.convert(op.response, "output") },
        ...Object.fromEntries(raw.map((t) => [t, { schema: { type: "string" } }])),
      },
    };
  }
  if (op.rawResponse) {
    const types = typeof op.rawResponse.mediaType === "string" ? [op.rawResponse.mediaType] : op.rawResponse.mediaType;
    return {
      description: op.rawResponse.description,
      ...successHeaders(op),
      content: Object.fromEntries(types.map((t) => [t, { schema: { type: "string", format: "binary" } }])),
    };
  }
  return { description: "No content", ...successHeaders(op) };
}

function requestBody(op: Operation, c: Components): Json {
  if (op.body)
    return {
      requestBody: { required: true, content: { "application/json": { schema: c.convert(op.body, "input") } } },
    };
  if (op.multipart)
    return {
      requestBody: { required: true, content: { "multipart/form-data": { schema: c.convert(op.multipart, "input") } } },
    };
  if (op.rawBody) {
    return {
      requestBody: {
        required: true,
        description: op.rawBody.description,
        content: { [op.rawBody.mediaType]: { schema: { type: "string", format: "binary" } } },
      },
    };
  }
  return {};
}

function description(op: Operation): string {
  const parts = [op.description ?? op.summary, `Who may call it: ${ROLE_TEXT[op.auth]}`];
  if (op.needs)
    parts.push(
      `Needs the \`${op.needs.feature}\` feature${op.needs.always ? "" : " for some requests"} (503 feature_disabled when it is off).`,
    );
  return parts.join("\n\n");
}

function build(): Json {
  const c = new Components();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of documentedOperations()) {
    paths[op.path] ??= {};
    paths[op.path]![op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      description: description(op),
      tags: [op.tag],
      security: op.auth === "public" ? [] : [{ bearer: [] }, { session: [] }],
      "x-beacon-roles": op.auth,
      parameters: parameters(op, c),
      ...requestBody(op, c),
      responses: { [String(op.status)]: success(op, c), ...errorResponses(op) },
    };
  }
  c.convert(ZError, "output");
  c.convert(ZProblem, "output");
  const usedTags = new Set(documentedOperations().map((o) => o.tag));
  // The webhooks Beacon sends (decision 043), from their own module, in this document's schema dialect.
  const webhooks = openApiWebhooks("3.0.3", (s) => c.convert(s, "output"));
  const doc = {
    openapi: "3.0.3",
    info: {
      title: "Beacon API",
      version: "1",
      description:
        'Multi-tenant helpdesk API. Every response carries X-Request-Id. Errors are {"error":{code,message,details?}}, or RFC 9457 ' +
        "problem details for a client that sends Accept: application/problem+json. Unknown query parameters, and a body sent to an " +
        "operation that takes none, are 400. Lists answer {data, nextCursor}: nextCursor is null on the last page (always, for the " +
        "short lists answered whole), and a cursor only continues the list, filters and sort it was made for (400 invalid_cursor " +
        "otherwise). The dead-letter list has no cursor and says hasMore instead.",
    },
    servers: [{ url: "/" }],
    tags: Object.entries(TAGS)
      .filter(([name]) => usedTags.has(name))
      .map(([name, text]) => ({ name, description: text })),
    paths,
    components: {
      schemas: Object.fromEntries(Object.entries(c.schemas).sort(([a], [b]) => a.localeCompare(b))),
      headers: HEADERS,
      responses: RESPONSES,
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description: "API token from POST /api/v1/auth/token or /api/v1/me/tokens",
        },
        session: { type: "apiKey", in: "cookie", name: "next-auth.session-token" },
      },
    },
  };
  return { ...doc, ...webhooks };
}

let cached: { doc: Json; json: string; etag: string } | undefined;

/** The document (built once per process: the table does not change while it runs). */
export function openApiDocument(): Record<string, unknown> {
  return served().doc;
}

/** The document as served: its JSON text and an ETag of it, for GET /api/openapi.json. */
export function served(): { doc: Json; json: string; etag: string } {
  if (!cached) {
    const doc = build();
    const json = JSON.stringify(doc);
    cached = { doc, json, etag: `"${createHash("sha256").update(json).digest("base64url").slice(0, 27)}"` };
  }
  return cached;
}
