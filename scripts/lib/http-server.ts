import http from "node:http";
import type { AddressInfo } from "node:net";
import next from "next";

export type RunningServer = { url: string; close: () => Promise<void> };

/** The methods the app's route handlers and pages answer; anything else (TRACE, PROPFIND, …) is 405 here. */
export const ALLOWED_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"] as const;
const ALLOW = ALLOWED_METHODS.join(", ");

/**
 * Answers 405 with Allow for a method no route handles, before Next sees it (Next answered TRACE
 * with a 500). Returns true when it answered.
 */
export function refuseUnknownMethod(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if ((ALLOWED_METHODS as readonly string[]).includes(req.method ?? "")) return false;
  const body = JSON.stringify({ error: { code: "method_not_allowed", message: `method ${String(req.method).slice(0, 32)} is not supported; use one of ${ALLOW}` } });
  res.writeHead(405, { allow: ALLOW, "content-type": "application/json", "content-length": Buffer.byteLength(body), "cache-control": "no-store" });
  res.end(body);
  // Whatever body came with it is not read; drop it rather than parse it as a next request.
  req.resume();
  return true;
}

/** What serveNext puts in front of Next's handler (exported so tests can run it around a stub). */
export function appRequestListener(handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>): http.RequestListener {
  return (req, res) => {
    if (refuseUnknownMethod(req, res)) return;
    const peer = req.socket.remoteAddress ?? "unknown";
    const prior = req.headers["x-forwarded-for"];
    req.headers["x-forwarded-for"] = prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${peer}` : peer;
    handle(req, res).catch((err: unknown) => {
      console.error(JSON.stringify({ level: "error", msg: "unhandled request error", err: String(err) }));
      if (!res.headersSent) {
        res.writeHead(500, { "content-type": "application/json" });
      }
      res.end(JSON.stringify({ error: { code: "internal", message: "internal error" } }));
    });
  };
}

/**
 * Serves the Next.js app from this process. Two things are added to Next's own server: the
 * socket's address is appended to X-Forwarded-For, so the app's client-ip logic (TRUST_PROXY_HOPS)
 * can tell a real peer from a header the client made up; and a method outside ALLOWED_METHODS is
 * answered 405 with Allow.
 */
export async function serveNext(opts: { dev: boolean; host: string; port: number; dir?: string }): Promise<RunningServer> {
  const app = next({ dev: opts.dev, dir: opts.dir ?? process.cwd(), hostname: opts.host, port: opts.port });
  await app.prepare();
  const server = http.createServer(appRequestListener(app.getRequestHandler()));
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const shownHost = opts.host === "0.0.0.0" || opts.host === "::" ? "localhost" : opts.host;
  return {
    url: `http://${shownHost}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // In-flight requests get a few seconds to finish, then their sockets are dropped.
        setTimeout(() => {
          server.closeAllConnections();
          resolve();
        }, 5_000).unref();
      }).then(() => app.close?.()),
  };
}
