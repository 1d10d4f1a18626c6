import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRequestListener } from "../../scripts/lib/http-server";
import { dispatch } from "../../src/server/api/dispatch";
import { apiHealth, apiMetrics, healthz, openApiDocument, readyz } from "../../src/server/api/endpoints";
import { ownEndpoint } from "../../src/server/api/node-server";
import { createWorld, type World } from "../helpers/world";

// npm start's own API server (issue 16 item 1, decision 046): the real listener serveNext installs,
// with a stand-in for Next's handler, over a real socket. Each request is also answered the way the
// Next route files answer it (the same handler called with a Request as Next builds it), and both
// answers must be the same apart from the framing Node chooses and the headers next.config adds.
// The same comparison against a real Next server is tests/e2e/api-server.spec.ts.

type Answer = { status: number; headers: Record<string, string>; body: string };

/** Headers that differ by transport or per request, not by behaviour. */
const VARYING = new Set(["date", "connection", "keep-alive", "content-length", "transfer-encoding", "x-request-id"]);
/** What next.config.ts (and Next's server: Vary) adds to every API response; the own server adds the same (checked separately). */
const CONFIG = new Set([
  "vary",
  "x-content-type-options",
  "referrer-policy",
  "x-frame-options",
  "permissions-policy",
  "cross-origin-opener-policy",
  "strict-transport-security",
  "content-security-policy",
]);

const normalize = (a: Answer): Answer => ({
  status: a.status,
  // Each request counts against the budget and the window moves on: the two answers' remaining and reset may differ, present in both is what matters.
  headers: Object.fromEntries(
    Object.entries(a.headers)
      .filter(([k]) => !VARYING.has(k) && !CONFIG.has(k))
      .map(([k, v]) => [k, k === "ratelimit-remaining" || k === "ratelimit-reset" ? "…" : v])
      .sort(([x], [y]) => x!.localeCompare(y!)),
  ),
  // Request ids and timestamps differ between two answers to the same request.
  body: a.body
    .replace(/"requestId":"[^"]+"/g, '"requestId":"…"')
    .replace(/"latencyMs":\d+/g, '"latencyMs":…')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "…"),
});

describe("the own API server answers as Next's route files do", () => {
  let server: http.Server;
  let base: string;
  let host: string;
  let w: World;
  const reachedNext: string[] = [];

  beforeAll(async () => {
    w = await createWorld();
    server = http.createServer(
      appRequestListener(
        async (req, res) => {
          reachedNext.push(`${req.method} ${req.url}`);
          res.writeHead(200, { "content-type": "text/plain" });
          res.end("next");
        },
        { kind: "own", production: true },
      ),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    base = `http://${host}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A raw request to the own server (fetch would refuse some of what is sent here). */
  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) =>
    new Promise<Answer>((resolve, reject) => {
      // Node's client sends a DELETE's body without framing unless told its length.
      const framed = body === undefined ? headers : { ...headers, "content-length": String(Buffer.byteLength(body)) };
      const req = http.request(`${base}${path}`, { method, headers: framed }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode!,
            headers: Object.fromEntries(
              Object.entries(res.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join("\n") : String(v)]),
            ),
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      });
      req.on("error", reject);
      req.end(body);
    });

  /** The same request the way Next hands it to a route file: a Request with the peer appended to X-Forwarded-For. */
  const viaRouteFile = async (
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string | Buffer,
  ): Promise<Answer> => {
    const endpoint = ownEndpoint({ method, url: path, headers: { host } })!;
    const pathname = path.split("?")[0]!;
    const fixed = {
      "/healthz": healthz,
      "/readyz": readyz,
      "/api/health": apiHealth,
      "/api/metrics": apiMetrics,
      "/api/openapi.json": openApiDocument,
    }[pathname];
    expect(endpoint).toBe(fixed ?? dispatch);
    const h = new Headers(headers);
    h.set("host", host);
    h.set("x-forwarded-for", headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, 127.0.0.1` : "127.0.0.1");
    const res = await endpoint(
      new Request(`${base}${path}`, {
        method,
        headers: h,
        body: body === undefined ? null : new Uint8Array(Buffer.from(body)),
      }),
    );
    const text = method === "HEAD" ? "" : await res.text();
    const out: Record<string, string> = {};
    for (const [k, v] of res.headers) if (k !== "set-cookie") out[k] = v;
    return { status: res.status, headers: out, body: text };
  };

  const both = async (method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer) => {
    const own = await send(method, path, headers, body);
    const next = await viaRouteFile(method, path, headers, body);
    expect(normalize(own), `${method} ${path}`).toEqual(normalize(next));
    return own;
  };

  const json = { "content-type": "application/json" };

  it("answers the API's paths itself, with next.config's headers, and leaves everything else to Next", async () => {
    reachedNext.length = 0;
    const r = await both("GET", "/api/v1/me");
    expect(r.status).toBe(401);
    expect(r.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.headers["content-security-policy"]).toBe("default-src 'none'; frame-ancestors 'none'; sandbox");
    expect(r.headers["x-content-type-options"]).toBe("nosniff");
    expect(r.headers["strict-transport-security"]).toBe("max-age=63072000; includeSubDomains");
    expect(r.headers.vary).toBe(
      "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch, Accept-Encoding",
    );
    expect(r.headers["content-length"]).toBe(String(Buffer.byteLength(r.body)));
    expect(reachedNext).toEqual([]);
    for (const [method, path] of [
      ["GET", "/login"],
      ["GET", "/api/auth/session"],
      ["GET", "/api/v1/"],
      ["OPTIONS", "/api/v1/me"],
      ["POST", "/healthz"],
      ["GET", "/api/v1/../login"],
      ["GET", "/api/v1//me"],
      ["GET", "/api/v2/me"],
      ["GET", "/healthz/"],
    ] as const) {
      const n = await send(method, path);
      expect(n.body, `${method} ${path}`).toBe("next");
    }
    // A Host that is not host[:port] (the request's URL is built from it) is Next's to refuse.
    expect((await send("GET", "/api/v1/me", { host: "a b" })).body).toBe("next");
    expect(reachedNext).toHaveLength(10);
  });

  it("the probes, the document (with its 304) and the metrics scrape", async () => {
    expect((await both("GET", "/healthz")).body).toBe('{"status":"ok"}');
    expect((await both("GET", "/readyz")).status).toBe(200);
    await both("GET", "/healthz?probe=1");
    const doc = await both("GET", "/api/openapi.json");
    expect(doc.headers["cache-control"]).toBe("public, max-age=60");
    const again = await both("GET", "/api/openapi.json", { "if-none-match": doc.headers.etag! });
    expect(again.status).toBe(304);
    const scrape = await send("GET", "/api/metrics");
    expect(scrape.status).toBe(200);
    expect(scrape.body).toContain('http_requests_total{method="GET",route="/api/v1/me",status="401"}');
  });

  it("errors: 404 and 405 JSON with Allow, problem+json, 413, 415, bad JSON, a body where none is taken", async () => {
    expect((await both("GET", "/api/v1/no-such-thing")).status).toBe(404);
    expect((await both("GET", "/api/v1")).status).toBe(404);
    const wrong = await both("PUT", "/api/v1/me", { cookie: w.agent.cookie });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBeTruthy();
    const problem = await both("GET", "/api/v1/no-such-thing", { accept: "application/problem+json" });
    expect(problem.headers["content-type"]).toBe("application/problem+json");
    const big = Buffer.alloc(1024 * 1024 + 10, "a");
    expect((await both("POST", "/api/v1/tickets", { ...json, cookie: w.agent.cookie }, big)).status).toBe(413);
    expect(
      (await both("POST", "/api/v1/tickets", { "content-type": "text/plain", cookie: w.agent.cookie }, "hi")).status,
    ).toBe(415);
    expect((await both("POST", "/api/v1/tickets", { ...json, cookie: w.agent.cookie }, "{not json")).status).toBe(400);
    expect(
      (
        await both(
          "DELETE",
          "/api/v1/webhooks/00000000-0000-4000-8000-000000000000",
          { ...json, cookie: w.agent.cookie },
          "{}",
        )
      ).status,
    ).toBe(400);
    expect((await both("GET", "/api/v1/tickets?nope=1", { cookie: w.agent.cookie })).status).toBe(400);
  });

  it("a create with Idempotency-Key replays with Idempotent-Replayed; ETag and If-Match; HEAD; rate-limit headers", async () => {
    const headers = { ...json, cookie: w.agent.cookie, "idempotency-key": `own-server-${Date.now()}` };
    const body = JSON.stringify({ subject: "via the own server", body: "hello" });
    const created = await send("POST", "/api/v1/tickets", headers, body);
    expect(created.status).toBe(201);
    expect(created.headers["ratelimit-limit"]).toBeTruthy();
    const ticket = JSON.parse(created.body) as { id: string };
    // The replay through the route-file path answers as the own server's replay does.
    const replay = await both("POST", "/api/v1/tickets", headers, body);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    expect(replay.body).toBe(created.body);

    const got = await both("GET", `/api/v1/tickets/${ticket.id}`, { cookie: w.agent.cookie });
    expect(got.headers.etag).toBeTruthy();
    const head = await both("HEAD", `/api/v1/tickets/${ticket.id}`, { cookie: w.agent.cookie });
    expect(head.status).toBe(200);
    expect(head.body).toBe("");
    expect(head.headers.etag).toBe(got.headers.etag);
    const stale = await both(
      "PATCH",
      `/api/v1/tickets/${ticket.id}`,
      { ...json, cookie: w.agent.cookie, "if-match": '"999"' },
      JSON.stringify({ priority: "high" }),
    );
    expect(stale.status).toBe(412);
    const list = await both("GET", "/api/v1/tickets?limit=5", { cookie: w.agent.cookie });
    expect(list.status).toBe(200);
    expect(list.headers["ratelimit-remaining"]).toBeTruthy();
  });

  it("the client address: the socket's peer is appended to X-Forwarded-For as before Next", async () => {
    // Without TRUST_PROXY_HOPS the peer is the client, whatever X-Forwarded-For claims: the
    // per-IP limiter keys on it, so a made-up header cannot buy a fresh budget.
    const a = await send("GET", "/api/v1/me", { "x-forwarded-for": "203.0.113.9" });
    const b = await send("GET", "/api/v1/me", { "x-forwarded-for": "198.51.100.7" });
    expect(Number(b.headers["ratelimit-remaining"])).toBe(Number(a.headers["ratelimit-remaining"]) - 1);
  });
});
