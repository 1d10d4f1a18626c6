import "server-only";
import type { Ctx, StreamCtx } from "../http/route";
import { toResponse } from "../http/route";
import {
  fingerprintOf,
  hashingRequest,
  IDEMPOTENCY_HEADER,
  IDEMPOTENCY_KEY_DOC,
  idempotencyKeyOf,
  idempotently,
  REPLAYED_DOC,
  REPLAYED_HEADER,
  ReplayedResponse,
} from "./idempotency";

// How an operation flagged `idempotent: true` runs (src/server/api/operation.ts): the hook lines
// between the request wrapper's context and the key store of ./idempotency.ts (decision 043).

/** The contract of an idempotent operation: Idempotency-Key among its request headers, Idempotent-Replayed among its response headers. */
export function idempotencyDoc<
  T extends { requestHeaders?: Record<string, string>; responseHeaders?: Record<string, string> },
>(contract: T): T {
  return {
    ...contract,
    requestHeaders: { ...contract.requestHeaders, [IDEMPOTENCY_HEADER]: IDEMPOTENCY_KEY_DOC },
    responseHeaders: { ...contract.responseHeaders, [REPLAYED_HEADER]: REPLAYED_DOC },
  };
}

/** A JSON-bodied operation: the fingerprint is the method, path and the body as parsed (so key order and spacing do not matter). */
export function idempotentRun<Q, P>(
  ctx: Ctx<Q, P>,
  operationId: string,
  body: unknown,
  call: () => Promise<unknown>,
  respond: (result: unknown) => Response,
): Promise<unknown> {
  const key = idempotencyKeyOf(ctx.req.headers);
  if (key === undefined) return call();
  return idempotently(
    { tx: ctx.tx, user: ctx.user, operationId },
    key,
    () => fingerprintOf(ctx.req, JSON.stringify(body ?? null)),
    call,
    respond,
  );
}

/**
 * A streaming operation (uploads): the body's bytes are hashed as the handler reads them, and the
 * key is checked and stored in the handler's write transaction, the only one that writes. A
 * replay is thrown out of that transaction (so it rolls back and the handler removes the bytes it
 * just stored) and answered by `answer`.
 */
export function idempotentStream<Q, P>(ctx: StreamCtx<Q, P>, operationId: string, status: number) {
  const key = idempotencyKeyOf(ctx.req.headers);
  if (key === undefined) return undefined;
  const { req: upload, digest } = hashingRequest(ctx.req);
  return {
    upload,
    write: async <T>(txCtx: Ctx<Q, P>, fn: () => Promise<T>): Promise<T> => {
      let result: T | undefined;
      const response = await idempotently(
        { tx: txCtx.tx, user: txCtx.user, operationId },
        key,
        () => fingerprintOf(ctx.req, digest()),
        async () => (result = await fn()),
        (r) => toResponse(r, status),
      );
      if (response.headers.get(REPLAYED_HEADER) === "true") throw new ReplayedResponse(response);
      return result as T;
    },
    answer: async (run: () => Promise<unknown>): Promise<unknown> => {
      try {
        return await run();
      } catch (err) {
        if (err instanceof ReplayedResponse) return err.response;
        throw err;
      }
    },
  };
}
