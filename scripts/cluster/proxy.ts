// A small round-robin reverse proxy in front of the app processes, as a load balancer would be:
// it appends the client's socket address to X-Forwarded-For (like nginx's
// $proxy_add_x_forwarded_for), so the apps run with TRUST_PROXY_HOPS=1 (decision 006). It never
// retries a request: a write that reached an app must not be sent twice.
import http from "node:http";
import type { AddressInfo } from "node:net";

export type Backend = { name: string; host: string; port: number };

export async function startProxy(backends: Backend[]) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  const served = new Map<string, number>(backends.map((b) => [b.name, 0]));
  const errors: { at: number; backend: string; error: string }[] = [];
  const server = http.createServer((req, res) => {
    const b = backends[next++ % backends.length]!;
    served.set(b.name, (served.get(b.name) ?? 0) + 1);
    const peer = req.socket.remoteAddress ?? "unknown";
    const prior = req.headers["x-forwarded-for"];
    const headers = {
      ...req.headers,
      "x-forwarded-for": prior ? `${Array.isArray(prior) ? prior.join(", ") : prior}, ${peer}` : peer,
      "x-forwarded-proto": "http",
      "x-forwarded-host": req.headers.host ?? "",
    };
    const upstream = http.request(
      { host: b.host, port: b.port, method: req.method, path: req.url, headers, agent },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
        up.on("error", () => res.destroy());
      },
    );
    upstream.on("error", (err) => {
      errors.push({ at: Date.now(), backend: b.name, error: err.message });
      if (!res.headersSent) {
        res.writeHead(502, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: { code: "bad_gateway", message: `upstream ${b.name}: ${err.message}` } }));
      } else res.destroy();
    });
    req.pipe(upstream);
    req.on("aborted", () => upstream.destroy());
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    errors,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
        agent.destroy();
      }),
  };
}
export type Proxy = Awaited<ReturnType<typeof startProxy>>;
