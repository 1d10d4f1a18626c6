import "server-only";
import { randomUUID } from "node:crypto";
import { z, type ZodType } from "zod";
import { withTenant, type Tx } from "../db/tenant";
import type { Role } from "../db/schema/enums";
import { confirmClaim, readClaim, type Principal } from "../auth/principal";
import { logger } from "../observability/logger";
import { AppError } from "./errors";
import { clientIp } from "./client-ip";
import { errorResponse, toAppError } from "./error-response";
import { readJsonBody } from "./json-body";
import { assertFeatureEnabledByEnv, type Feature } from "../flags/features";

type AuthSpec = "any" | readonly Role[];

type Spec<B, Q, P> = {
  auth: AuthSpec;
  body?: ZodType<B>;
  query?: ZodType<Q>;
  params?: ZodType<P>;
  /** Status of a successful response carrying data (default 200; 204 when the handler returns nothing). */
  status?: number;
  /** Routes a user who must change their password may still call (me, password change). */
  allowPendingPasswordChange?: boolean;
  /** A kill-switchable feature: when off, the route answers 503 feature_disabled before any work. */
  feature?: Feature;
};

export type Ctx<Q = unknown, P = unknown> = {
  requestId: string;
  req: Request;
  ip: string;
  user: Principal;
  org: { id: string };
  tx: Tx;
  query: Q;
  params: P;
};

export type PublicCtx<Q = unknown, P = unknown> = Omit<Ctx<Q, P>, "user" | "org" | "tx">;

type NextCtx = { params?: Promise<Record<string, string | string[]>> };
type Handler = (req: Request, nextCtx: NextCtx) => Promise<Response>;

/**
 * The one request wrapper (CONVENTIONS "A request, end to end"): request id, auth by cookie or
 * bearer confirmed against the database, zod parsing of params/query/body, the tenant transaction,
 * AppError → JSON error, and a log line per request. Handlers contain only their domain call.
 */
export function route<B = undefined, Q = undefined, P = undefined>(
  spec: Spec<B, Q, P>,
  handler: (ctx: Ctx<Q, P>, body: B) => Promise<unknown>,
): Handler {
  return wrap(spec, async (base, body) => {
    const claim = await readClaim(base.req.headers);
    if (claim === null || claim === "invalid") {
      throw new AppError("unauthenticated", claim === null ? "sign in or send a bearer token" : "invalid or expired credentials");
    }
    return withTenant(claim.orgId, async (tx) => {
      const user = await confirmClaim(tx, claim);
      if (!user) throw new AppError("unauthenticated", "invalid or expired credentials");
      base.log.userId = user.userId;
      base.log.orgId = user.orgId;
      if (user.mustChangePassword && !spec.allowPendingPasswordChange) {
        throw new AppError("forbidden", "you must change your password first", { reason: "password_change_required" });
      }
      if (spec.auth !== "any" && !spec.auth.includes(user.role)) {
        throw new AppError("forbidden", "not allowed for your role");
      }
      return handler({ ...base.ctx, user, org: { id: user.orgId }, tx }, body);
    });
  });
}

/** Same wrapper for routes that run before anyone is signed in (token grant, setup links). */
export function publicRoute<B = undefined, Q = undefined, P = undefined>(
  spec: Omit<Spec<B, Q, P>, "auth" | "allowPendingPasswordChange">,
  handler: (ctx: PublicCtx<Q, P>, body: B) => Promise<unknown>,
): Handler {
  return wrap(spec, (base, body) => handler(base.ctx, body));
}

type LogFields = { userId?: string; orgId?: string };

function wrap<B, Q, P>(
  spec: Omit<Spec<B, Q, P>, "auth">,
  run: (base: { ctx: PublicCtx<Q, P>; req: Request; log: LogFields }, body: B) => Promise<unknown>,
): Handler {
  return async (req, nextCtx) => {
    const started = performance.now();
    const requestId = incomingRequestId(req.headers) ?? randomUUID();
    const url = new URL(req.url);
    const log: LogFields = {};
    let response: Response;
    let failure: AppError | undefined;
    try {
      if (spec.feature) assertFeatureEnabledByEnv(spec.feature);
      const params = parse(spec.params, nextCtx.params ? await nextCtx.params : {}, "path");
      const query = parse(spec.query, Object.fromEntries(url.searchParams), "query");
      const body = spec.body ? parse(spec.body, await readJsonBody(req), "body") : (undefined as B);
      const ctx: PublicCtx<Q, P> = { requestId, req, ip: clientIp(req.headers), query, params };
      const result = await run({ ctx, req, log }, body);
      response = toResponse(result, spec.status);
    } catch (err) {
      failure = toAppError(err);
      if (failure.code === "internal" || failure.code === "unavailable") {
        logger().error({ requestId, err: describe(err) }, "request failed");
      }
      response = errorResponse(failure);
    }
    response.headers.set("X-Request-Id", requestId);
    response.headers.set("Cache-Control", "no-store");
    const level = response.status >= 500 ? "error" : "info";
    logger()[level]({
      requestId,
      method: req.method,
      route: routeTemplate(url.pathname),
      status: response.status,
      latencyMs: Math.round((performance.now() - started) * 10) / 10,
      userId: log.userId,
      orgId: log.orgId,
      ...(failure && failure.code !== "internal" ? { error: failure.code } : {}),
    }, "request");
    return response;
  };
}

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

function toResponse(result: unknown, status = 200): Response {
  if (result instanceof Response) return result;
  if (result === undefined) return new Response(null, { status: 204 });
  return Response.json(result, { status });
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
