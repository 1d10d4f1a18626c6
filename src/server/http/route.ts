import "server-only";
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { z, type ZodType } from "zod";
import { withTenant, type Tx } from "../db/tenant";
import { isTransientConflict } from "../db/pg-error";
import type { Role } from "../db/schema/enums";
import { confirmClaim, pendingStep, readClaim, type Principal } from "../auth/principal";
import { logger } from "../observability/logger";
import { AppError } from "../core/errors";
import { clientIp } from "../ratelimit/client-ip";
import { env } from "../env";
import { errorResponse } from "./error-response";
import { toAppError } from "../core/to-app-error";
import type { ApiRequest } from "../core/api-request";
import { jsonResponse } from "./json-response";
import { MAX_JSON_BYTES, readJsonBody } from "./json-body";
import { readBodyLimited } from "../core/read-body";
import { countDbError, observeRequest } from "../observability/metrics";
import { rateLimitHeaders, type LimitState } from "../ratelimit/limiters";
import { admitByEnv, admitCaller, admitClient, type Admission } from "../ratelimit/admission";

type AuthSpec = "any" | readonly Role[];

export type Spec<B, Q, P> = {
  auth: AuthSpec;
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  /** Status of a successful response carrying data (default 200; 204 when the handler returns nothing). */
  status?: number;
  /** Routes a user who must change their password may still call (me, password change). */
  allowPendingPasswordChange?: boolean;
  /** Routes a user who must first set up two-factor sign-in may still call (me, /me/2fa…). */
  allowPendingTwoFactorSetup?: boolean;
  /**
   * The handler reads the request body itself (uploads, raw provider webhooks). Otherwise an
   * operation without a body schema refuses any body (400), like an unknown query parameter.
   */
  readsBody?: boolean;
} & Admission<Q>;

export type Ctx<Q = unknown, P = unknown> = {
  requestId: string;
  req: ApiRequest;
  ip: string;
  user: Principal;
  org: { id: string };
  tx: Tx;
  query: Q;
  params: P;
};

export type PublicCtx<Q = unknown, P = unknown> = Omit<Ctx<Q, P>, "user" | "org" | "tx">;

/**
 * What a streaming handler gets: no transaction, and `withTx` to open a short one. Each call
 * re-confirms the caller's credentials and access to the route (a session revoked, a user blocked
 * or demoted, a feature switched off while the body streamed is refused), then runs `fn` with a
 * full Ctx in one tenant transaction and commits before returning.
 */
export type StreamCtx<Q = unknown, P = unknown> = Omit<Ctx<Q, P>, "tx"> & {
  withTx: <T>(fn: (ctx: Ctx<Q, P>) => Promise<T>) => Promise<T>;
};

type NextCtx = { params?: Promise<Record<string, string | string[]>> };
type Handler = (req: Request, nextCtx: NextCtx) => Promise<Response>;

/** Path parameters as the router found them (Next's segment params, or the route table's match). */
export type RawParams = Record<string, string | string[] | undefined>;

/** What the wrapper hands a runner: the request's public context, its log fields and limits. */
export type Base<Q, P> = { ctx: PublicCtx<Q, P>; req: ApiRequest; log: LogFields; limits?: LimitState };

/**
 * Reads the JSON body (media type, size, syntax: 415, 413, 400; a body sent to an operation that
 * takes none: 400) and returns its validation against the body schema (400), run separately so a
 * signed-in caller's credentials are checked before the body is validated, and no transaction is
 * open while the bytes arrive.
 */
export type BodyReader<B> = () => Promise<() => B>;

/** The part of a request that differs by kind of route: signed in, streaming or public. */
export type Run<B, Q, P> = (base: Base<Q, P>, body: BodyReader<B>) => Promise<unknown>;

/**
 * The one request wrapper (CONVENTIONS "A request, end to end"): request id, auth by cookie or
 * bearer confirmed against the database, zod parsing of params/query/body, the tenant transaction,
 * AppError → JSON error, and a log line per request. Handlers contain only their domain call.
 */
export function route<B = undefined, Q = undefined, P = undefined>(
  spec: Spec<B, Q, P>,
  handler: (ctx: Ctx<Q, P>, body: B) => Promise<unknown>,
): Handler {
  return wrap(spec, signedInRun(spec, handler));
}

/** The signed-in step of route(): claim, tenant transaction, admission, then the handler in that transaction. */
export function signedInRun<B, Q, P>(
  spec: Spec<B, Q, P>,
  handler: (ctx: Ctx<Q, P>, body: B) => Promise<unknown>,
): Run<B, Q, P> {
  return async (base, readBody) => {
    // Credentials first: a caller without valid ones gets 401 before anything about its body.
    const claim = await signedInClaim(base.req);
    const validate = await readBody();
    return retryingConflicts(base.log, (attempt) =>
      withTenant(claim.orgId, async (tx) => {
        // The budgets live outside the transaction (memory or Redis): a retry does not spend them again.
        const user = await admit(spec, base, tx, claim, { consumeLimits: attempt === 1 });
        return handler({ ...base.ctx, user, org: { id: user.orgId }, tx }, validate());
      }),
    );
  };
}

/** How many times a request's transaction runs at most when PostgreSQL aborts it for a deadlock. */
export const TX_ATTEMPTS = 3;

/**
 * A transaction PostgreSQL aborted as a deadlock victim (40P01) or a serialization failure (40001)
 * changed nothing in the database. What a handler does outside it either waits for the commit
 * (jobs are rows in the same transaction, after-commit hooks run only once it commits) or is
 * idempotent (removing an import's stored export and work directory: a missing one is no error),
 * or is what the client's own retry of the 409 would do again (an invitation email sent inside
 * its transaction: the rolled-back one's link never worked). So the request runs again, up to TX_ATTEMPTS times after a short random pause, before the caller sees 409
 * "retry". A deadlock is a race between two correct writes (an agent's solve meeting the worker's
 * follow-up on the same new ticket: CI run 11), and asking every client to retry it is the server
 * passing on its own problem.
 */
async function retryingConflicts<T>(log: LogFields, run: (attempt: number) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await run(attempt);
    } catch (err) {
      if (attempt >= TX_ATTEMPTS || !isTransientConflict(err)) throw err;
      log.txRetries = attempt;
      await sleep(5 + Math.random() * 20 * attempt);
    }
  }
}

/**
 * The signed-in step for a handler that streams the request body itself (uploads), so no
 * transaction is held while bytes arrive: `prepare` runs in the short admitting transaction
 * (authorize, load what the handler needs); `handler` then runs with no transaction open and opens
 * short ones with ctx.withTx. A streaming operation has no JSON body spec.
 */
export function streamingRun<A, Q, P>(
  spec: Omit<Spec<undefined, Q, P>, "body">,
  prepare: (ctx: Ctx<Q, P>) => Promise<A>,
  handler: (ctx: StreamCtx<Q, P>, prepared: A) => Promise<unknown>,
): Run<undefined, Q, P> {
  return async (base) => {
    const claim = await signedInClaim(base.req);
    const admitted = await withTenant(claim.orgId, async (tx) => {
      const user = await admit(spec, base, tx, claim, { consumeLimits: true });
      return { user, prepared: await prepare({ ...base.ctx, user, org: { id: user.orgId }, tx }) };
    });
    const withTx = <T>(fn: (ctx: Ctx<Q, P>) => Promise<T>): Promise<T> =>
      withTenant(claim.orgId, async (tx) => {
        const user = await admit(spec, base, tx, claim, { consumeLimits: false });
        return fn({ ...base.ctx, user, org: { id: user.orgId }, tx });
      });
    return handler({ ...base.ctx, user: admitted.user, org: { id: admitted.user.orgId }, withTx }, admitted.prepared);
  };
}

type Claim = Exclude<Awaited<ReturnType<typeof readClaim>>, null | "invalid">;

async function signedInClaim(req: ApiRequest): Promise<Claim> {
  const claim = await readClaim(req.headers);
  if (claim === null || claim === "invalid") {
    throw new AppError(
      "unauthenticated",
      claim === null ? "sign in or send a bearer token" : "invalid or expired credentials",
    );
  }
  if (claim.kind === "session") assertSameOrigin(req);
  return claim;
}

/** Steps 6a–6f: the caller confirmed against the database, then limits, feature, pending step and role. */
async function admit<Q, P>(
  spec: Omit<Spec<unknown, Q, P>, "body">,
  base: Omit<Base<Q, P>, "req">,
  tx: Tx,
  claim: Claim,
  opts: { consumeLimits: boolean },
): Promise<Principal> {
  const user = await confirmClaim(tx, claim);
  if (!user) throw new AppError("unauthenticated", "invalid or expired credentials");
  base.log.userId = user.userId;
  base.log.orgId = user.orgId;
  const limits = await admitCaller(spec, { tx, user, requestId: base.ctx.requestId, query: base.ctx.query }, opts);
  if (limits) base.limits = limits;
  const pending = pendingStep(user);
  if (pending && !spec[pending.allowedBy]) {
    throw new AppError("forbidden", pending.message, { reason: pending.reason });
  }
  if (spec.auth !== "any" && !spec.auth.includes(user.role)) {
    throw new AppError("forbidden", "not allowed for your role");
  }
  return user;
}

/** The step of a public operation (token grant, setup links): the handler with the public context, no claim and no transaction. */
export function publicRun<B, Q, P>(handler: (ctx: PublicCtx<Q, P>, body: B) => Promise<unknown>): Run<B, Q, P> {
  return async (base, readBody) => handler(base.ctx, (await readBody())());
}

type LogFields = { userId?: string; orgId?: string; txRetries?: number };

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * CSRF defence for cookie-authenticated mutations (bearer tokens are not sent by browsers on their
 * own). Bodies must already be application/json, which a cross-site form cannot send without a
 * CORS preflight Beacon never grants; this also refuses any cross-site Origin or Sec-Fetch-Site.
 * Same origin is NEXTAUTH_URL's origin, or the origin the browser addressed (its Host header):
 * a cross-site page cannot forge Origin, so Origin equal to Host means the page came from the
 * host the cookie belongs to (docs/decisions/026-same-origin-and-customer-view.md).
 */
function assertSameOrigin(req: ApiRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.get("origin");
  const site = req.headers.get("sec-fetch-site");
  const crossOrigin = origin !== null && !sameOriginAs(req, origin);
  if (crossOrigin || site === "cross-site") {
    throw new AppError("forbidden", "cross-site request refused", { reason: "csrf" });
  }
}

function sameOriginAs(req: ApiRequest, origin: string): boolean {
  if (origin === new URL(req.url).origin) return true;
  const configured = env().NEXTAUTH_URL;
  if (configured && URL.canParse(configured) && origin === new URL(configured).origin) return true;
  const host = req.headers.get("host");
  return host !== null && (origin === `http://${host}` || origin === `https://${host}`);
}

function wrap<B, Q, P>(spec: Omit<Spec<B, Q, P>, "auth">, run: Run<B, Q, P>): Handler {
  return (req, nextCtx) => serve(spec, run, req, async () => (nextCtx.params ? await nextCtx.params : {}));
}

/**
 * One request through the wrapper, whoever routed it (a Next route file, or the route table's
 * dispatcher with the params it matched): request id, client admission, parsing, `run`, error
 * mapping, headers, metrics and the log line.
 */
export async function serve<B, Q, P>(
  spec: Omit<Spec<B, Q, P>, "auth">,
  run: Run<B, Q, P>,
  req: ApiRequest,
  params: () => Promise<RawParams>,
  /** The metrics and log label; by default the path with its ids replaced (routeTemplate). */
  label?: string,
): Promise<Response> {
  const started = performance.now();
  const requestId = incomingRequestId(req.headers) ?? randomUUID();
  const url = new URL(req.url);
  const log: LogFields = {};
  const base: Base<Q, P> = {
    ctx: { requestId, req, ip: clientIp(req.headers), query: undefined as Q, params: undefined as P },
    req,
    log,
  };
  let response: Response;
  let failure: AppError | undefined;
  try {
    base.limits = await admitClient(base.ctx);
    admitByEnv(spec, base.ctx.query, false);
    base.ctx.params = parse(spec.params, await params(), "path");
    base.ctx.query = parseQuery(spec.query, url.searchParams);
    admitByEnv(spec, base.ctx.query, true);
    const readBody: BodyReader<B> = async () => {
      if (spec.body) {
        const raw = await readJsonBody(req);
        return () => parse(spec.body, raw, "body");
      }
      if (!spec.readsBody) await refuseBody(req);
      return () => undefined as B;
    };
    const result = await run(base, readBody);
    response = toResponse(result, spec.status);
  } catch (err) {
    failure = toAppError(err);
    if (failure.code === "internal" || failure.code === "unavailable") {
      logger().error({ requestId, err: describe(err) }, "request failed");
      countDbError(err, failure.code);
    }
    response = errorResponse(failure, { requestId, problem: wantsProblem(req.headers) });
  }
  response.headers.set("X-Request-Id", requestId);
  if (!response.headers.has("Cache-Control")) response.headers.set("Cache-Control", "no-store");
  if (base.limits && !response.headers.has("RateLimit-Limit")) {
    for (const [k, v] of Object.entries(rateLimitHeaders(base.limits))) response.headers.set(k, v);
  }
  const seconds = (performance.now() - started) / 1000;
  const template = label ?? routeTemplate(url.pathname);
  observeRequest(req.method, template, response.status, seconds);
  // A switched-off feature's 503 is an operator's choice, not a fault: below error, so "alert on level 50" stays quiet.
  const level = response.status >= 500 ? (failure?.code === "feature_disabled" ? "warn" : "error") : "info";
  logger()[level](
    {
      requestId,
      method: req.method,
      route: template,
      status: response.status,
      latencyMs: Math.round(seconds * 10_000) / 10,
      userId: log.userId,
      orgId: log.orgId,
      ...(log.txRetries ? { txRetries: log.txRetries } : {}),
      ...(failure && failure.code !== "internal" ? { error: failure.code, event: EVENT_OF[failure.code] } : {}),
    },
    "request",
  );
  return response;
}

/** Failures operators search for by name in the logs. */
const EVENT_OF: Partial<Record<string, string>> = {
  unauthenticated: "auth_failed",
  forbidden: "authz_denied",
  not_found: "authz_denied_or_missing",
  rate_limited: "rate_limited",
  feature_disabled: "feature_disabled",
};

function parse<T>(schema: ZodType<T> | undefined, input: unknown, where: "path" | "query" | "body"): T {
  if (!schema) return undefined as T;
  const r = schema.safeParse(input);
  if (!r.success) {
    throw new AppError("validation_failed", `invalid ${where}`, {
      issues: r.error.issues.map((i) => ({ in: where, path: i.path.join("."), message: i.message })),
    });
  }
  return r.data;
}

/**
 * The query as an object: a parameter given once is a string, one repeated is an array (a list
 * filter accepts both; any other parameter refuses an array). Every operation's query schema is
 * strict, and an operation without one takes no query, so an unknown parameter is a 400, never
 * silently ignored (tests/integration/api-strictness.test.ts).
 */
function parseQuery<Q>(schema: ZodType<Q> | undefined, params: URLSearchParams): Q {
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(params.keys())) {
    const all = params.getAll(key);
    query[key] = all.length === 1 ? all[0]! : all;
  }
  if (schema) return parse(schema, query, "query");
  const unknown = Object.keys(query);
  if (unknown.length) {
    throw new AppError("validation_failed", "invalid query", {
      issues: unknown.map((name) => ({
        in: "query",
        path: name,
        message: "unknown query parameter: this operation takes none",
      })),
    });
  }
  return undefined as Q;
}

/** An operation that takes no body refuses one (a client sending it expects something to happen to it). */
async function refuseBody(req: ApiRequest): Promise<void> {
  const declared = req.headers.get("content-length");
  const sent =
    declared !== null
      ? Number(declared) > 0
      : req.body !== null && (await readBodyLimited(req, MAX_JSON_BYTES, tooLarge)).length > 0;
  if (sent) {
    throw new AppError("validation_failed", "this operation takes no request body", {
      issues: [{ in: "body", path: "", message: "must be empty: send no body" }],
    });
  }
}

const tooLarge = () => new AppError("payload_too_large", `request body exceeds ${MAX_JSON_BYTES} bytes`);

/** A client that asks for RFC 9457 problem details gets them (Accept: application/problem+json). */
function wantsProblem(h: Headers): boolean {
  return (h.get("accept") ?? "").split(",").some((part) => {
    const [type, ...params] = part.split(";").map((x) => x.trim().toLowerCase());
    return type === "application/problem+json" && !params.some((p) => /^q=0(?:\.0*)?$/.test(p));
  });
}

/** What a handler's result is answered with: a Response as is, nothing as 204, anything else as JSON with `status`. */
export function toResponse(result: unknown, status = 200): Response {
  if (result instanceof Response) return result;
  if (result === undefined) return new Response(null, { status: 204 });
  return jsonResponse(result, { status });
}

function incomingRequestId(h: Headers): string | undefined {
  const id = h.get("x-request-id");
  // Accept a caller's id only if it is short and harmless to log.
  return id && /^[A-Za-z0-9._:-]{8,128}$/.test(id) ? id : undefined;
}

const ID_SEGMENT = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d+)$/i;

/** /api/v1/tickets/3f…/comments → /api/v1/tickets/:id/comments (low-cardinality labels). */
export function routeTemplate(pathname: string): string {
  return pathname
    .split("/")
    .map((s) => (ID_SEGMENT.test(s) ? ":id" : s))
    .join("/");
}

function describe(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const e = err as Error & { code?: string };
    return { name: e.name, message: e.message, code: e.code, stack: e.stack };
  }
  return { value: String(err) };
}

/** Reusable zod pieces for routes. */
export const zUuidParam = z.object({ id: z.uuid({ message: "must be a UUID" }) });
