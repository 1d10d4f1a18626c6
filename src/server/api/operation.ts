import "server-only";
import type { ZodType } from "zod";
import { ROUTE_RULES, type RouteRule, type SignedInRule } from "../authz/rules";
import type { Scope, StreamScope } from "../core/scope";
import type { ErrorCode } from "../core/errors";
import type { Admission } from "../ratelimit/admission";
import { publicRun, serve, signedInRun, streamingRun, toResponse, type RawParams, type Spec } from "../http/route";
import type { ApiRequest } from "../core/api-request";
import { idempotencyDoc, idempotentRun, idempotentStream } from "./idempotent-operation";

// One endpoint's contract, written once (issue 15 item 3, docs/decisions/032-route-table.md):
// the dispatcher serves it, the OpenAPI document is generated from it, and the handler's input is
// typed from the same zod schemas the request is parsed with.

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The parsed request a handler gets: path params, query and JSON body, each per its schema, and the request headers (If-Match). */
export type Input<P, Q, B> = { params: P; query: Q; body: B; headers: Headers };

/** What a public operation's handler gets instead of a Scope: nobody is signed in, no transaction. */
export type PublicCall = { requestId: string; ip: string; req: ApiRequest };

type Handler<C extends RouteRule, P, Q, B> = C extends "public"
  ? (call: PublicCall, input: Input<P, Q, B>) => Promise<unknown>
  : (scope: Scope, input: Input<P, Q, B>) => Promise<unknown>;

export type OperationDef<C extends RouteRule, P, Q, B> = {
  method: Method;
  /** OpenAPI path template: "/api/v1/webhooks/{id}". */
  path: `/api/v1/${string}`;
  /** Unique across the table; the generated client's function name. */
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** Who may call it (src/server/authz/rules.ts). */
  can: C;
  /**
   * A stricter rule the domain applies once it has found the resource, so that one the caller
   * may not see stays a 404 rather than a role's 403; the document lists it as the operation's roles.
   */
  domainCan?: SignedInRule;
  params?: ZodType<P>;
  query?: ZodType<Q>;
  body?: ZodType<B>;
  /** Request headers the operation reads, by name, with what they do (documented as header parameters). */
  requestHeaders?: Record<string, string>;
  /** Headers of a successful response, by name, with what they carry. */
  responseHeaders?: Record<string, string>;
  /** Status of a successful response (204: the handler returns nothing). */
  status: number;
  /**
   * Errors the handler answers beyond those the document derives from the operation's shape
   * (api/openapi.ts errorStatuses): e.g. a public operation's 401 for a wrong password.
   */
  errors?: readonly ErrorCode[];
  /** Schema of the successful response body (null for 204, or for a raw body the handler answers itself). */
  response: ZodType | null;
  /** A successful response that is raw bytes of one media type (a handler returning a Response), for the document. */
  rawResponse?: { mediaType: string | readonly string[]; description: string };
  /** A body the handler streams itself (uploads): its multipart/form-data fields, for the document. */
  multipart?: ZodType;
  /** A raw body of one media type a public handler reads itself from call.req (no JSON parsing), for the document. */
  rawBody?: { mediaType: string; description: string };
  /**
   * A creating operation: honours Idempotency-Key (the same key and request replays the first
   * response and creates nothing; decision 043). Signed-in operations only.
   */
  idempotent?: boolean;
  /** Operations a user who must change their password may still call. */
  allowPendingPasswordChange?: boolean;
  /** Operations a user who must first set up two-factor sign-in may still call. */
  allowPendingTwoFactorSetup?: boolean;
  handler: Handler<C, P, Q, B>;
} & Admission<Q>;

/** A table entry: the contract (for the document and the router) and how to serve it. */
export type ApiOperation = Omit<
  OperationDef<RouteRule, unknown, unknown, unknown>,
  "handler" | "feature" | "rateLimit"
> & {
  /** The feature switch the operation needs, for the document: always, or only for some requests (a search). */
  needs?: { feature: string; always: boolean };
  /** Runs one request matched to this operation through the request wrapper (src/server/http/route.ts). */
  serve: (req: ApiRequest, params: RawParams) => Promise<Response>;
};

export function defineOperation<C extends RouteRule, P = undefined, Q = undefined, B = undefined>(
  def: OperationDef<C, P, Q, B>,
): ApiOperation {
  const { handler, feature, rateLimit, ...contract } = def;
  const roles = ROUTE_RULES[def.can];
  const spec: Spec<B, Q, P> = {
    auth: roles ?? "any",
    body: def.body,
    query: def.query,
    params: def.params,
    status: def.status,
    allowPendingPasswordChange: def.allowPendingPasswordChange,
    allowPendingTwoFactorSetup: def.allowPendingTwoFactorSetup,
    readsBody: def.rawBody !== undefined,
    feature,
    rateLimit,
  };
  const run =
    roles === null
      ? publicRun<B, Q, P>((ctx, body) =>
          (handler as Handler<"public", P, Q, B>)(
            { requestId: ctx.requestId, ip: ctx.ip, req: ctx.req },
            { params: ctx.params, query: ctx.query, body, headers: ctx.req.headers },
          ),
        )
      : signedInRun<B, Q, P>(spec, (ctx, body) => {
          const call = () =>
            (handler as Handler<"signed-in", P, Q, B>)(
              { tx: ctx.tx, user: ctx.user, requestId: ctx.requestId },
              { params: ctx.params, query: ctx.query, body, headers: ctx.req.headers },
            );
          return def.idempotent
            ? idempotentRun(ctx, def.operationId, body, call, (r) => toResponse(r, def.status))
            : call();
        });
  if (def.idempotent && roles === null)
    throw new Error(`${def.operationId}: a public operation has no user to keep Idempotency-Keys for`);
  return {
    ...(def.idempotent ? idempotencyDoc(contract) : contract),
    ...needs(feature),
    serve: (req, params) => serve(spec, run, req, async () => params),
  };
}

const needs = (feature: Admission<never>["feature"]): Pick<ApiOperation, "needs"> =>
  feature === undefined
    ? {}
    : { needs: typeof feature === "string" ? { feature, always: true } : { feature: feature.name, always: false } };

/** A streaming operation's input: path params and query as parsed, and the request whose body it reads. */
export type StreamInput<P, Q> = { params: P; query: Q; upload: ApiRequest };

export type StreamingOperationDef<P, Q, A> = Omit<
  OperationDef<SignedInRule, P, Q, undefined>,
  "handler" | "body" | "multipart"
> & {
  /**
   * With `idempotent: true`, the handler writes in one scope.withTx whose result is the response
   * body: the key is checked and stored in that transaction, against the hash of the body's bytes.
   */
  /** The multipart/form-data fields, for the document: the handler parses the stream itself. */
  multipart: ZodType;
  /** Runs in the short admitting transaction (authorize, load what the handler needs). */
  prepare: (scope: Scope, input: Input<P, Q, undefined>) => Promise<A>;
  /** Runs with no transaction open while the body streams; scope.withTx opens short ones. */
  handler: (scope: StreamScope, input: StreamInput<P, Q>, prepared: A) => Promise<unknown>;
};

/** An operation whose handler streams the request body itself (uploads): no transaction is held while bytes arrive. */
export function defineStreamingOperation<P = undefined, Q = undefined, A = unknown>(
  def: StreamingOperationDef<P, Q, A>,
): ApiOperation {
  const { prepare, handler, feature, rateLimit, ...contract } = def;
  const spec: Omit<Spec<undefined, Q, P>, "body"> = {
    auth: ROUTE_RULES[def.can],
    query: def.query,
    params: def.params,
    status: def.status,
    allowPendingPasswordChange: def.allowPendingPasswordChange,
    allowPendingTwoFactorSetup: def.allowPendingTwoFactorSetup,
    readsBody: true,
    feature,
    rateLimit,
  };
  const run = streamingRun<A, Q, P>(
    spec,
    (ctx) =>
      prepare(
        { tx: ctx.tx, user: ctx.user, requestId: ctx.requestId },
        { params: ctx.params, query: ctx.query, body: undefined, headers: ctx.req.headers },
      ),
    (ctx, prepared) => {
      const stream = def.idempotent ? idempotentStream(ctx, def.operationId, def.status) : undefined;
      const scope: StreamScope = {
        user: ctx.user,
        requestId: ctx.requestId,
        withTx: (fn) =>
          ctx.withTx((txCtx) => {
            const txScope = { tx: txCtx.tx, user: txCtx.user, requestId: txCtx.requestId };
            return stream ? stream.write(txCtx, () => fn(txScope)) : fn(txScope);
          }),
      };
      const upload = stream?.upload ?? ctx.req;
      return stream
        ? stream.answer(() => handler(scope, { params: ctx.params, query: ctx.query, upload }, prepared))
        : handler(scope, { params: ctx.params, query: ctx.query, upload }, prepared);
    },
  );
  return {
    ...(def.idempotent ? idempotencyDoc(contract) : contract),
    ...needs(feature),
    serve: (req, params) => serve(spec, run, req, async () => params),
  };
}
