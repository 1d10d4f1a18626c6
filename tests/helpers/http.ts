// Calls Next.js route handlers in-process with real Request objects (everything below the
// handler — wrapper, auth, database — is real). Browser-level flows are covered by e2e.
import { randomUUID } from "node:crypto";
import type { paths } from "../../src/lib/api-types";

type RouteHandler = (req: Request, ctx: { params: Promise<Record<string, string>> }) => Promise<Response>;

export type CallOptions = {
  params?: Record<string, string>;
  query?: Record<string, string>;
  /** An object is sent as JSON; a string is sent as-is. */
  body?: unknown;
  headers?: Record<string, string>;
  token?: string;
  cookie?: string;
  ip?: string;
};

export type CallResult<T = any> = { status: number; headers: Headers; body: T; text: string }; // eslint-disable-line @typescript-eslint/no-explicit-any

// The response body's type, from the OpenAPI document's types (src/lib/api-types.ts, generated from
// the route table): the success body of the operation that the method and path name, with the
// error envelope's fields beside it (a test reads `body.error.code` from the same result). A path
// built from variables still names its operation (`/api/v1/tickets/${id}` has the type
// `/api/v1/tickets/${string}`, which fills the `{id}` segment); a path TypeScript only knows as
// `string`, or one that no operation has, gives `any`.
type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
type Segments<S extends string> = S extends `${infer H}/${infer T}` ? [H, ...Segments<T>] : [S];
type SegmentsMatch<A extends string[], B extends string[]> = A extends [
  infer a extends string,
  ...infer ar extends string[],
]
  ? B extends [infer b extends string, ...infer br extends string[]]
    ? b extends `{${string}}`
      ? a extends ""
        ? false
        : SegmentsMatch<ar, br>
      : [a] extends [b]
        ? SegmentsMatch<ar, br>
        : false
    : false
  : B extends []
    ? true
    : false;
type WithoutQuery<P extends string> = P extends `${infer B}?${string}` ? B : P;
type TemplatesOf<P extends string> = {
  [K in keyof paths]: SegmentsMatch<Segments<WithoutQuery<P>>, Segments<K & string>> extends true ? K : never;
}[keyof paths];
/** A literal segment beats a `{param}` one: /tickets/bulk is not /tickets/{id}. */
type Exact<P extends string, K> = K extends `${string}{${string}` ? never : K extends WithoutQuery<P> ? K : never;
type TemplateOf<P extends string> = [Exact<P, TemplatesOf<P>>] extends [never]
  ? TemplatesOf<P>
  : Exact<P, TemplatesOf<P>>;
type SuccessBody<Op> = Op extends { responses: infer R }
  ? {
      [S in keyof R]: S extends 200 | 201 | 202
        ? R[S] extends { content: { "application/json": infer B } }
          ? B
          : any // eslint-disable-line @typescript-eslint/no-explicit-any
        : never;
    }[keyof R]
  : any; // eslint-disable-line @typescript-eslint/no-explicit-any
/** A union of object bodies (a ticket as staff or as its customer sees it) read as one: each field optional where some member lacks it. */
type AllKeys<U> = U extends unknown ? keyof U : never;
type ValueIn<U, K extends PropertyKey> = U extends unknown ? (K extends keyof U ? U[K] : undefined) : never;
type Merged<U> = [U] extends [object]
  ? [U] extends [readonly unknown[]]
    ? U
    : { [K in AllKeys<U>]: ValueIn<U, K> }
  : U;
type ErrorFields = {
  /** Present on a 4xx/5xx answer only; typed as always there so a test reads `body.error.code` after checking the status. */
  error: { code: string; message: string; details?: any }; // eslint-disable-line @typescript-eslint/no-explicit-any
};
type BodyOf<M extends string, P extends string> = string extends P
  ? any // eslint-disable-line @typescript-eslint/no-explicit-any
  : [TemplateOf<P>] extends [never]
    ? any // eslint-disable-line @typescript-eslint/no-explicit-any
    : TemplateOf<P> extends infer K extends keyof paths
      ? Lowercase<M> extends keyof paths[K]
        ? [SuccessBody<paths[K][Lowercase<M>]>] extends [never]
          ? any // eslint-disable-line @typescript-eslint/no-explicit-any
          : Merged<SuccessBody<paths[K][Lowercase<M>]>> & ErrorFields
        : any // eslint-disable-line @typescript-eslint/no-explicit-any
      : any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A route call; `call<T>(…)` still names a body type by hand where a test needs one. */
export async function call<T = never, M extends Method = Method, P extends string = string>(
  handler: RouteHandler,
  method: M,
  path: P,
  o: CallOptions = {},
): Promise<CallResult<[T] extends [never] ? BodyOf<M, P> : T>> {
  const url = new URL(`http://localhost${path}`);
  for (const [k, v] of Object.entries(o.query ?? {})) url.searchParams.set(k, v);
  const headers = new Headers(o.headers);
  headers.set("x-forwarded-for", o.ip ?? "127.0.0.1");
  if (o.token) headers.set("authorization", `Bearer ${o.token}`);
  if (o.cookie) headers.set("cookie", o.cookie);
  let body: string | undefined;
  if (o.body !== undefined) {
    body = typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  const res = await handler(new Request(url, { method, headers, body }), { params: Promise.resolve(o.params ?? {}) });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed as never, text };
}

/** The Cookie header for the session a response re-issued in Set-Cookie (e.g. after enabling two-factor). */
export function reissuedSession(res: CallResult): string {
  const set = res.headers.get("set-cookie");
  if (!set) throw new Error(`no Set-Cookie in the response (status ${res.status})`);
  return set.split(";")[0]!;
}

/**
 * The /api/v1 catch-all's handlers (src/app/api/v1/[[...path]]/route.ts): route-table operations are
 * called through the real dispatcher, which routes by the request's method and path (`params` are
 * not needed). E.g. call(apiRoute.GET, "GET", "/api/v1/feature-flags", { cookie }).
 */
export { GET, POST, PUT, PATCH, DELETE } from "../../src/app/api/v1/[[...path]]/route";
export * as apiRoute from "../../src/app/api/v1/[[...path]]/route";

/**
 * A concrete path for a table operation: each `{param}` filled with a value its params schema
 * accepts when that is an enum (the first option, e.g. `/email/templates/acknowledgement`), else a
 * random UUID (the id of nothing). Table-driven tests use it to get past path validation to what
 * they test: auth, roles, strictness.
 */
export function examplePath(op: { path: string; params?: unknown }): string {
  const shape = (op.params as { shape?: Record<string, { options?: readonly unknown[] }> } | undefined)?.shape ?? {};
  return op.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    const first = shape[name]?.options?.[0];
    return typeof first === "string" ? first : randomUUID();
  });
}
