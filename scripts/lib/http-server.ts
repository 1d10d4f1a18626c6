import http from "node:http";
import type { AddressInfo } from "node:net";
import next from "next";

export type RunningServer = { url: string; close: () => Promise<void> };

/**
 * Serves the Next.js app from this process. The one thing added to Next's own server: the
 * socket's address is appended to X-Forwarded-For, so the app's client-ip logic (TRUST_PROXY_HOPS)
 * can tell a real peer from a header the client made up.
 */
export async function serveNext(opts: { dev: boolean; host: string; port: number; dir?: string }): Promise<RunningServer> {
  const app = next({ dev: opts.dev, dir: opts.dir ?? process.cwd(), hostname: opts.host, port: opts.port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const server = http.createServer((req, res) => {
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
  });
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
