import "server-only";
import { createHash, type Hash } from "node:crypto";
import { and, eq, sql } from "drizzle-orm";
import { open, seal } from "../auth/secret-box";
import type { Principal } from "../auth/principal";
import { AppError } from "../core/errors";
import { idempotencyKeys } from "../db/schema/idempotency";
import { IDEMPOTENCY_TTL_HOURS } from "../idempotency/sweep";
import type { Tx } from "../db/tenant";
import type { ApiRequest } from "../core/api-request";

// Idempotency-Key on creating POSTs (IETF httpapi draft-ietf-httpapi-idempotency-key-header,
// Stripe's semantics; issue 20, docs/decisions/043-idempotency-etags-webhook-snapshots.md).
// An operation flagged `idempotent: true` in the route table runs through `idempotently`: the key
// is looked up, and the response stored, in the transaction of the write itself, so a committed
// write always has its key and a rolled-back one never does.

export const IDEMPOTENCY_HEADER = "Idempotency-Key";
export const REPLAYED_HEADER = "Idempotent-Replayed";

export const IDEMPOTENCY_KEY_DOC =
  "A unique key of yours for this creation (1–255 printable ASCII characters, e.g. a UUID; a quoted structured-field string is also accepted). " +
  `Retrying with the same key and the same request within ${IDEMPOTENCY_TTL_HOURS} hours replays the first response (with Idempotent-Replayed: true) ` +
  "and creates nothing; the same key with another method, path or body is 422 idempotency_key_reused; while the first request is still running, " +
  "409 idempotency_key_in_flight. Keys are per user. A request that failed stores nothing, so its retry runs again";
export const REPLAYED_DOC =
  "true when this response is the replay of an earlier request with the same Idempotency-Key (nothing was created this time)";

const KEY = /^[\x21\x23-\x5b\x5d-\x7e]{1,255}$/;

/** The Idempotency-Key of a request: undefined without one; a malformed one is a 400. */
export function idempotencyKeyOf(headers: Headers): string | undefined {
  const raw = headers.get(IDEMPOTENCY_HEADER);
  if (raw === null) return undefined;
  const trimmed = raw.trim();
  // The draft makes the key a structured-field string ("…"); Stripe and most clients send it bare.
  const key = trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
  if (!KEY.test(key)) {
    const message = "must be 1 to 255 printable ASCII characters without quotes or backslashes (e.g. a UUID)";
    throw new AppError("validation_failed", `${IDEMPOTENCY_HEADER} ${message}`, {
      issues: [{ in: "header", path: IDEMPOTENCY_HEADER, message }],
    });
  }
  return key;
}

/** The request an idempotency key is bound to: method, path with query, and the body (as parsed, or the hash of the raw bytes). */
export function fingerprintOf(req: ApiRequest, body: string): string {
  const url = new URL(req.url);
  return createHash("sha256").update(`${req.method} ${url.pathname}${url.search}\n`).update(body).digest("hex");
}

type Stored = { status: number; headers: Record<string, string>; body: string };

/** The headers of a first response that its replay repeats. */
const KEPT_HEADERS = ["content-type", "etag", "location"];

export const SEAL_PURPOSE = "idempotency-response";

export type IdempotencyCtx = { tx: Tx; user: Principal; operationId: string };

/**
 * Runs `write` once per key: in the caller's tenant transaction, takes the key's transaction lock
 * (held by a request still running: 409), replays a stored response for the same request (422 for
 * another request), or runs `write` and stores its response with the write. `toResponse` turns the
 * handler's result into the response the wrapper would send.
 */
export async function idempotently(
  ctx: IdempotencyCtx,
  key: string,
  fingerprint: () => string,
  write: () => Promise<unknown>,
  toResponse: (result: unknown) => Response,
): Promise<Response> {
  const { tx, user } = ctx;
  const locked = await tx.execute<{ ok: boolean }>(
    sql`select pg_try_advisory_xact_lock(hashtextextended(${`idempotency:${user.orgId}:${user.userId}:${key}`}, 0)) as ok`,
  );
  if (!locked.rows[0]?.ok) {
    throw new AppError(
      "idempotency_key_in_flight",
      "a request with this Idempotency-Key is still being processed; retry once it has finished",
      {
        key,
      },
      { "Retry-After": "1" },
    );
  }
  const where = and(
    eq(idempotencyKeys.orgId, user.orgId),
    eq(idempotencyKeys.userId, user.userId),
    eq(idempotencyKeys.key, key),
  );
  const [row] = await tx
    .select({
      fingerprint: idempotencyKeys.fingerprint,
      operationId: idempotencyKeys.operationId,
      status: idempotencyKeys.status,
      headers: idempotencyKeys.headers,
      body: idempotencyKeys.body,
      fresh: sql<boolean>`${idempotencyKeys.createdAt} > now() - make_interval(hours => ${IDEMPOTENCY_TTL_HOURS})`,
    })
    .from(idempotencyKeys)
    .where(where);
  const print = fingerprint();
  if (row?.fresh) {
    if (row.fingerprint !== print) {
      throw new AppError(
        "idempotency_key_reused",
        "this Idempotency-Key was used with a different request; use a new key for a new request",
        {
          key,
          operationId: row.operationId,
        },
      );
    }
    const body = open(row.body, SEAL_PURPOSE);
    // A body sealed under a NEXTAUTH_SECRET since rotated cannot be replayed: say so rather than guess.
    if (body === null)
      throw new AppError(
        "idempotency_key_reused",
        "this Idempotency-Key's first response can no longer be replayed; use a new key",
        { key },
      );
    return replay({ status: row.status, headers: JSON.parse(row.headers) as Record<string, string>, body });
  }
  if (row) await tx.delete(idempotencyKeys).where(where);

  const response = toResponse(await write());
  const stored: Stored = { status: response.status, headers: {}, body: await response.text() };
  for (const name of KEPT_HEADERS) {
    const value = response.headers.get(name);
    if (value !== null) stored.headers[name] = value;
  }
  await tx.insert(idempotencyKeys).values({
    orgId: user.orgId,
    userId: user.userId,
    key,
    fingerprint: print,
    operationId: ctx.operationId,
    status: stored.status,
    headers: JSON.stringify(stored.headers),
    body: seal(stored.body, SEAL_PURPOSE),
  });
  return new Response(stored.body === "" ? null : stored.body, {
    status: stored.status,
    headers: { ...stored.headers, ...copyOther(response.headers) },
  });
}

/** Headers of the first response that are not stored (none today beyond the kept ones; kept for a handler that sets more). */
function copyOther(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!KEPT_HEADERS.includes(name)) out[name] = value;
  });
  return out;
}

function replay(stored: Stored): Response {
  return new Response(stored.body === "" ? null : stored.body, {
    status: stored.status,
    headers: { ...stored.headers, [REPLAYED_HEADER]: "true" },
  });
}

/**
 * The response of an idempotent streaming operation's write, replayed: thrown out of its write
 * transaction (which rolls back, so the handler's own cleanup runs) and answered by the wrapper.
 */
export class ReplayedResponse extends Error {
  constructor(public readonly response: Response) {
    super("replayed");
  }
}

/**
 * A streamed request whose body bytes are hashed as the handler reads them, so an upload's
 * fingerprint covers its bytes without buffering them. A multipart body's boundary is left out of
 * the hash (each occurrence hashes as one NUL byte, which no boundary contains): clients pick a
 * new random boundary for every FormData they send, and a retry of the same file and fields is
 * the same request.
 */
export function hashingRequest(req: ApiRequest): { req: ApiRequest; digest: () => string } {
  const hash = createHash("sha256");
  if (!req.body) return { req, digest: () => hash.copy().digest("hex") };
  const boundary = /boundary="?([^";]+)"?/i.exec(req.headers.get("content-type") ?? "")?.[1];
  const { write, digest } = boundaryBlind(hash, boundary ? Buffer.from(boundary, "latin1") : undefined);
  const body = req.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        write(chunk);
        controller.enqueue(chunk);
      },
    }),
  );
  return {
    req: new Request(req.url, { method: req.method, headers: req.headers, body, duplex: "half" } as RequestInit),
    digest,
  };
}

const BOUNDARY_MARK = Buffer.from([0]);

/**
 * Feeds `hash` the bytes with every `boundary` replaced by one NUL byte, across chunk edges;
 * `digest` is the hash of what was read so far (the bytes held back at an edge included).
 */
function boundaryBlind(
  hash: Hash,
  boundary: Buffer | undefined,
): { write: (chunk: Uint8Array) => void; digest: () => string } {
  let carry = Buffer.alloc(0);
  const digest = () => hash.copy().update(carry).digest("hex");
  const write = (chunk: Uint8Array) => {
    if (!boundary) return void hash.update(chunk);
    let buf = Buffer.concat([carry, chunk]);
    const parts: Buffer[] = [];
    for (let at = buf.indexOf(boundary); at !== -1; at = buf.indexOf(boundary)) {
      parts.push(buf.subarray(0, at), BOUNDARY_MARK);
      buf = buf.subarray(at + boundary.length);
    }
    // Keep the bytes that could be the start of a boundary split by the chunk edge.
    const keep = Math.min(buf.length, boundary.length - 1);
    parts.push(buf.subarray(0, buf.length - keep));
    carry = Buffer.from(buf.subarray(buf.length - keep));
    for (const p of parts) hash.update(p);
  };
  return { write, digest };
}
