import "server-only";
import type { ZodType } from "zod";
import { ROUTE_RULES, type RouteRule } from "../authz/rules";
import type { Scope } from "../core/scope";
import type { Admission } from "../ratelimit/admission";
import { publicRun, serve, signedInRun, type RawParams, type Spec } from "../http/route";

// One endpoint's contract, written once (issue 15 item 3, docs/decisions/032-route-table.md):
// the dispatcher serves it, the OpenAPI document is generated from it, and the handler's input is
// typed from the same zod schemas the request is parsed with.

export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** The parsed request a handler gets: path params, query and JSON body, each per its schema. */
export type Input<P, Q, B> = { params: P; query: Q; body: B };

/** What a public operation's handler gets instead of a Scope: nobody is signed in, no transaction. */
export type PublicCall = { requestId: string; ip: string; req: Request };

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
  params?: ZodType<P>;
  query?: ZodType<Q>;
  body?: ZodType<B>;
  /** Status of a successful response (204: the handler returns nothing). */
  status: number;
  /** Schema of the successful response body (null for 204). */
  response: ZodType | null;
  /** Operations a user who must change their password may still call. */
  allowPendingPasswordChange?: boolean;
  /** Operations a user who must first set up two-factor sign-in may still call. */
  allowPendingTwoFactorSetup?: boolean;
  handler: Handler<C, P, Q, B>;
} & Admission<Q>;

/** A table entry: the contract (for the document and the router) and how to serve it. */
export type ApiOperation = Omit<OperationDef<RouteRule, unknown, unknown, unknown>, "handler" | "feature" | "rateLimit"> & {
  /** Runs one request matched to this operation through the request wrapper (src/server/http/route.ts). */
  serve: (req: Request, params: RawParams) => Promise<Response>;
};

export function defineOperation<C extends RouteRule, P = undefined, Q = undefined, B = undefined>(def: OperationDef<C, P, Q, B>): ApiOperation {
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
    feature,
    rateLimit,
  };
  const run =
    roles === null
      ? publicRun<B, Q, P>((ctx, body) =>
          (handler as Handler<"public", P, Q, B>)({ requestId: ctx.requestId, ip: ctx.ip, req: ctx.req }, { params: ctx.params, query: ctx.query, body }),
        )
      : signedInRun<B, Q, P>(spec, (ctx, body) =>
          (handler as Handler<"signed-in", P, Q, B>)({ tx: ctx.tx, user: ctx.user, requestId: ctx.requestId }, { params: ctx.params, query: ctx.query, body }),
        );
  return { ...contract, serve: (req, params) => serve(spec, run, req, async () => params) };
}
