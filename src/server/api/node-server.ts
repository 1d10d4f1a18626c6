import "server-only";
import type http from "node:http";
import { dispatch } from "./dispatch";
import { logger } from "../observability/logger";
import type { ApiRequest } from "../core/api-request";
import { apiHealth, apiMetrics, healthz, openApiDocument, readyz } from "./endpoints";
import { jsonText } from "../http/json-response";
import { commonHeaders, DENY_ALL_CSP } from "../http/security-headers";

// The API on npm start's own node:http listener (issue 16 item 1, docs/decisions/046): requests for
// /api/v1/*, the probes, the metrics scrape and the API document go from the IncomingMessage
// straight to the route table's dispatcher (find-my-way over TABLE, then operation.serve through
// the one request wrapper) or the probe's handler, without Next's app-route runtime. Everything
// else (pages, NextAuth, static files, and whatever this module leaves alone) is Next's. The Next
// route files serve the same functions when Next serves alone (npm run dev), so both paths answer
// alike (tests/e2e/api-server.spec.ts runs the same requests through both).

type Endpoint = (req: ApiRequest) => Response | Promise<Response>;

/** The fixed paths answered here, GET and HEAD only (Next's route files for them export only GET). */
const FIXED: Record<string, Endpoint> = {
  "/healthz": healthz,
  "/readyz": readyz,
  "/api/health": apiHealth,
  "/api/metrics": apiMetrics,
  "/api/openapi.json": openApiDocument,
};

// Next's server adds the first four to every app-directory response (base-server setVaryHeader) and
// its compression step adds Accept-Encoding whether or not it compresses; the own server does not
// compress (decision 046) but answers with the same Vary, so caches key both paths alike.
const NEXT_VARY = "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch, Accept-Encoding";

const HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** The methods the /api/v1 catch-all route file exports (GET also answers HEAD); OPTIONS stays Next's. */
const API_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);

/**
 * The endpoint this server answers a request with, or null when Next should. A path Next would
 * rewrite first stays Next's: a trailing slash (Next's 308), an empty or dot segment (URL
 * normalization could take it out of /api/v1), a backslash; and a Host header that is not a plain
 * host[:port] (the request's URL is built from it).
 */
export function ownEndpoint(req: Pick<http.IncomingMessage, "method" | "url" | "headers">): Endpoint | null {
  const { method, url } = req;
  if (req.headers.host !== undefined && !HOST.test(req.headers.host)) return null;
  const raw = url ?? "/";
  const q = raw.indexOf("?");
  const pathname = q < 0 ? raw : raw.slice(0, q);
  if (pathname === "/api/v1" || pathname.startsWith("/api/v1/")) {
    if (!API_METHODS.has(method ?? "") || pathname.endsWith("/") || /\/\/|\/(?:\.|%2e)|\\|%5c/i.test(pathname))
      return null;
    return dispatch;
  }
  const fixed = FIXED[pathname];
  return fixed && (method === "GET" || method === "HEAD") ? fixed : null;
}

/**
 * The request as the wrapper reads it (ApiRequest): method, URL (the Host the client addressed plus
 * the request target, as Next builds it), headers, and the body as a web stream, made only when
 * read. Not a WHATWG Request: constructing one per request cost more than the routing and the
 * rest of the transport together (scripts/bench/router-compare.ts). A request without a body (no
 * Content-Length above 0 and no Transfer-Encoding) has none.
 */
export function toRequest(req: http.IncomingMessage): ApiRequest {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) headers.append(name, v);
    else headers.set(name, value);
  }
  const method = req.method ?? "GET";
  const hasBody =
    method !== "GET" &&
    method !== "HEAD" &&
    (req.headers["transfer-encoding"] !== undefined || Number(req.headers["content-length"] ?? "0") > 0);
  let body: ReadableStream<Uint8Array<ArrayBuffer>> | undefined;
  let signal: AbortSignal | undefined;
  return {
    method,
    url: `http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`,
    headers,
    get body() {
      return hasBody ? (body ??= bodyStream(req)) : null;
    },
    // Aborted when the client goes away (its connection closes), as a Request's signal is; made
    // only when a handler asks (a stream that must end with its reader).
    get signal() {
      if (!signal) {
        const ac = new AbortController();
        if (req.socket.destroyed) ac.abort();
        else req.socket.once("close", () => ac.abort());
        signal = ac.signal;
      }
      return signal;
    },
  };
}

/**
 * The request body as a web stream that reads from the socket only when pulled (highWaterMark 0),
 * unlike Readable.toWeb, which starts reading at once. A body nobody reads (a 401, or a 413 on its
 * declared length) is then left to Node, which discards it after the response, so the client that
 * is still sending gets the answer rather than a reset. Cancelling (a body over its limit while
 * streaming) destroys the request, as toWeb does.
 */
function bodyStream(req: http.IncomingMessage): ReadableStream<Uint8Array<ArrayBuffer>> {
  let chunks: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      async pull(controller) {
        chunks ??= req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
        const { done, value } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(new Uint8Array(value.buffer as ArrayBuffer, value.byteOffset, value.byteLength));
      },
      async cancel() {
        if (chunks) await chunks.return?.();
        else req.destroy();
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * Writes a Response to the ServerResponse: the headers next.config.ts gives these paths and the
 * Vary Next adds first
 * (the Response's own override them, as on Next's path), then the body. A JSON answer made by
 * jsonResponse is written from its text, and any other body of one chunk, with Content-Length; a
 * longer stream (an export, a download) is piped with backpressure and cancelled if the client
 * goes away. HEAD gets the headers only.
 */
export async function sendResponse(
  res: http.ServerResponse,
  response: Response,
  opts: { head: boolean; production: boolean },
): Promise<void> {
  res.statusCode = response.status;
  for (const { key, value } of commonHeaders(opts.production)) res.setHeader(key, value);
  res.setHeader(DENY_ALL_CSP.key, DENY_ALL_CSP.value);
  res.setHeader("vary", NEXT_VARY);
  for (const [name, value] of response.headers) {
    if (name === "vary") res.setHeader("vary", `${NEXT_VARY}, ${value}`);
    else if (name !== "set-cookie") res.setHeader(name, value);
  }
  const cookies = response.headers.getSetCookie();
  if (cookies.length) res.setHeader("set-cookie", cookies);
  const text = jsonText(response);
  if (text !== undefined && !opts.head) {
    res.end(text);
    return;
  }
  if (!response.body || opts.head) {
    await response.body?.cancel().catch(() => undefined);
    res.end();
    return;
  }
  const reader = response.body.getReader();
  let gone = false;
  res.once("close", () => {
    if (!res.writableFinished) {
      gone = true;
      reader.cancel().catch(() => undefined);
    }
  });
  const first = await reader.read();
  if (first.done) return void res.end();
  const second = await reader.read();
  if (second.done) return void res.end(first.value);
  const write = async (part: Uint8Array) => {
    if (!res.write(part)) await new Promise<void>((r) => res.once("drain", r).once("close", r));
  };
  await write(first.value);
  for (let chunk: ReadableStreamReadResult<Uint8Array> = second; !chunk.done; chunk = await reader.read()) {
    if (gone) return;
    await write(chunk.value);
  }
  res.end();
}

/**
 * Serves `endpoint` for one request on the own listener. Whatever goes wrong outside the wrapper
 * (which answers every error itself) is the same 500 the listener answers for Next's failures.
 */
export function serveOwn(
  endpoint: Endpoint,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  production: boolean,
): void {
  void (async () => {
    try {
      const response = await endpoint(toRequest(req));
      await sendResponse(res, response, { head: req.method === "HEAD", production });
    } catch (err) {
      logger().error(
        { err: err instanceof Error ? err.message : String(err) },
        "own API server: unhandled request error",
      );
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json", "cache-control": "no-store" });
        res.end(JSON.stringify({ error: { code: "internal", message: "internal error" } }));
      } else res.destroy();
    }
  })();
}
