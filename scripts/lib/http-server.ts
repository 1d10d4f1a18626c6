import http from "node:http";
import type { AddressInfo } from "node:net";
import next from "next";
import { ownEndpoint, serveOwn } from "../../src/server/api/node-server";

export type DrainReport = { requests: number; cut: number };
export type RunningServer = {
  url: string;
  /**
   * Graceful stop (issue 21): from now on /readyz answers 503 and any new request 503 with
   * Connection: close (the listener stays open so a load balancer sees the 503 rather than a refused
   * connection); idle keep-alive connections close; in-flight requests get until `deadline`
   * (epoch ms). Then the listener and every connection close. Resolves with what finished and
   * what was cut.
   */
  drain: (deadline: number) => Promise<DrainReport>;
  close: () => Promise<void>;
};

/** The methods the app's route handlers and pages answer; anything else (TRACE, PROPFIND, …) is 405 here. */
export const ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const ALLOW = ALLOWED_METHODS.join(", ");

/**
 * Answers 405 with Allow for a method no route handles, before Next sees it (Next answered TRACE
 * with a 500). Returns true when it answered.
 */
export function refuseUnknownMethod(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if ((ALLOWED_METHODS as readonly string[]).includes(req.method ?? "")) return false;
  const body = JSON.stringify({
    error: {
      code: "method_not_allowed",
      message: `method ${String(req.method).slice(0, 32)} is not supported; use one of ${ALLOW}`,
    },
  });
  res.writeHead(405, {
    allow: ALLOW,
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
  });
  res.end(body);
  // Whatever body came with it is not read; drop it rather than parse it as a next request.
  req.resume();
  return true;
}

/**
 * Who answers the API (/api/v1/*, /api/health, /api/metrics, /api/openapi.json, /healthz,
 * /readyz): "own", this listener through the route table (src/server/api/node-server.ts), with
 * the headers a production build's next.config gives them; "next", Next's route files (npm run
 * dev, for hot reload). Pages, NextAuth and static files are Next's either way.
 */
export type ApiServer = { kind: "own"; production: boolean } | { kind: "next" };

/** What serveNext puts in front of Next's handler (exported so tests can run it around a stub). */
export function appRequestListener(
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
  api: ApiServer = { kind: "next" },
): http.RequestListener {
  return (req, res) => {
    if (refuseUnknownMethod(req, res)) return;
    const peer = req.socket.remoteAddress ?? "unknown";
    const prior = req.headers["x-forwarded-for"];
    req.headers["x-forwarded-for"] = prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${peer}` : peer;
    const own = api.kind === "own" ? ownEndpoint(req) : null;
    if (own && api.kind === "own") return serveOwn(own, req, res, api.production);
    handle(req, res).catch((err: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "unhandled request error", err: String(err) }));
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
      }
      res.end(JSON.stringify({ error: { code: "internal", message: "internal error" } }));
    });
  };
}

/** A request that arrives once the drain began: /readyz 503 (take me out), /healthz 200, anything else 503. */
function answerWhileDraining(req: http.IncomingMessage, res: http.ServerResponse): void {
  const path = (req.url ?? "/").split("?")[0];
  const [status, body] =
    path === "/healthz"
      ? [200, { status: "ok" }]
      : path === "/readyz"
        ? [503, { status: "not_ready", draining: true }]
        : [503, { error: { code: "unavailable", message: "this node is shutting down; retry" } }];
  res.shouldKeepAlive = false;
  res.writeHead(status, {
    "content-type": "application/json",
    "cache-control": "no-store",
    connection: "close",
    ...(status === 503 ? { "retry-after": "1" } : {}),
  });
  res.end(JSON.stringify(body));
  req.resume();
}

/**
 * Serves the Next.js app from this process. Three things are added to Next's own server: the
 * socket's address is appended to X-Forwarded-For, so the app's client-ip logic (TRUST_PROXY_HOPS)
 * can tell a real peer from a header the client made up; a method outside ALLOWED_METHODS is
 * answered 405 with Allow; and, unless `api` is "next" (the default in dev, for hot reload), the
 * API is answered by this listener through the route table instead of Next's app-route runtime
 * (docs/decisions/046-own-api-server-and-cluster.md). The listener's socket may be shared by
 * node:cluster workers (npm start with WEB_CONCURRENCY > 1).
 */
export async function serveNext(opts: {
  dev: boolean;
  host: string;
  port: number;
  dir?: string;
  api?: "own" | "next";
}): Promise<RunningServer> {
  const app = next({ dev: opts.dev, dir: opts.dir ?? process.cwd(), hostname: opts.host, port: opts.port });
  await app.prepare();
  // A production build's next.config headers were computed by `next build`, under NODE_ENV=production.
  const api: ApiServer =
    (opts.api ?? (opts.dev ? "next" : "own")) === "own" ? { kind: "own", production: !opts.dev } : { kind: "next" };
  const listener = appRequestListener(app.getRequestHandler(), api);
  let draining = false;
  const inFlight = new Set<http.ServerResponse>();
  let finishedWhileDraining = 0;
  const server = http.createServer((req, res) => {
    if (draining) return answerWhileDraining(req, res);
    inFlight.add(res);
    res.once("close", () => {
      inFlight.delete(res);
      if (draining) finishedWhileDraining++;
    });
    listener(req, res);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = opts.host === "0.0.0.0" || opts.host === "::" ? "localhost" : opts.host;
  const drain = async (deadline: number): Promise<DrainReport> => {
    draining = true;
    // A response finishing on a keep-alive connection closes it (shouldKeepAlive false), and an
    // idle one is closed at once; repeat, as a client may reuse a socket until it sees the close.
    for (const res of inFlight) res.shouldKeepAlive = false;
    server.closeIdleConnections();
    while (inFlight.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      server.closeIdleConnections();
    }
    const cut = inFlight.size;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await app.close?.();
    return { requests: finishedWhileDraining, cut };
  };
  return {
    url: `http://${shownHost}:${port}`,
    drain,
    // In-flight requests get a few seconds to finish, then their sockets are dropped.
    close: async () => void (await drain(Date.now() + 5_000)),
  };
}
