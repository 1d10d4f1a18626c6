// Calls Next.js route handlers in-process with real Request objects (everything below the
// handler — wrapper, auth, database — is real). Browser-level flows are covered by e2e.
import { randomUUID } from "node:crypto";

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

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function call<T = any>(
  handler: RouteHandler,
  method: string,
  path: string,
  o: CallOptions = {},
): Promise<CallResult<T>> {
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
  return { status: res.status, headers: res.headers, body: parsed as T, text };
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
