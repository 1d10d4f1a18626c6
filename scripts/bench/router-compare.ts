// Micro-bench for decision 046 (issue 16 item 1): which router and adapter carry the API on npm
// start's own node:http server. Three servers answer GET /api/v1/tickets (the list endpoint) with
// the same stand-in handler (it reads the headers and query as the request wrapper does, then
// answers a 25-ticket JSON page; no database, so the transport and routing are what differ):
//   own:  node:http → find-my-way over the route table (src/server/api/router.ts) → toRequest →
//         handler → sendResponse (src/server/api/node-server.ts), what npm start runs;
//   hono: Hono with every table route, served by @hono/node-server's request listener;
//   bare: node:http answering the same bytes with no routing or Request at all (the ceiling).
// The servers run in a child process; autocannon loads them from this one, in alternating rounds,
// so machine noise hits all three alike (compare the ratios of one run, not absolute figures).
// Then, in-process: what a WHATWG Request costs per request (a GET's, and a 1 KB JSON body read
// with `await req.json()` versus chunks read from the stream and JSON.parse).
//   node scripts/run.mjs bench/router-compare [--seconds 4] [--rounds 3]
import { fork } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Readable } from "node:stream";
import autocannon from "autocannon";
import { Hono } from "hono";
import { getRequestListener } from "@hono/node-server";
import { createRouter } from "../../src/server/api/router";
import { TABLE } from "../../src/server/api/table";
import type { ApiRequest } from "../../src/server/core/api-request";
import { jsonResponse } from "../../src/server/http/json-response";
import { readJsonBody } from "../../src/server/http/json-body";
import { sendResponse, toRequest } from "../../src/server/api/node-server";

const arg = (name: string, def: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};

const PAGE = {
  items: Array.from({ length: 25 }, (_, i) => ({
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    number: 1000 + i,
    subject: `Printer on fire, floor ${i}`,
    status: "open",
    priority: "normal",
    requesterId: "00000000-0000-4000-8000-000000000001",
    assigneeId: null,
    createdAt: "2026-12-07T10:00:00.000Z",
    updatedAt: "2026-12-07T10:00:00.000Z",
    firstResponseDueAt: "2026-12-07T18:00:00.000Z",
    resolveDueAt: "2026-12-09T10:00:00.000Z",
  })),
  nextCursor: "eyJ0IjoiMjAyNi0xMi0wN1QxMDowMDowMC4wMDBaIiwiaSI6IjI1In0",
};

/** The stand-in operation: what the wrapper reads from every request, then the page. */
function handler(req: ApiRequest): Response {
  const auth = req.headers.get("authorization") ?? "";
  const q = new URL(req.url).searchParams.get("limit");
  if (!auth.startsWith("Bearer ")) return Response.json({ error: { code: "unauthenticated" } }, { status: 401 });
  // As the wrapper answers a result (route.ts toResponse): serialized per request.
  return jsonResponse(q === "x" ? {} : PAGE, { headers: { "x-request-id": "bench", "cache-control": "no-store" } });
}

async function serveAll(): Promise<Record<string, string>> {
  const router = createRouter(TABLE);
  const own = http.createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const m = router.match(req.method ?? "GET", path);
    if (m.kind !== "operation") {
      res.writeHead(404).end();
      return;
    }
    void sendResponse(res, handler(toRequest(req)), { head: false, production: true });
  });
  const app = new Hono();
  for (const op of TABLE) app.on(op.method, op.path.replace(/\{(\w+)\}/g, ":$1"), (c) => handler(c.req.raw));
  const hono = http.createServer(getRequestListener(app.fetch));
  const bare = http.createServer((req, res) => {
    if (!(req.headers.authorization ?? "").startsWith("Bearer ")) return void res.writeHead(401).end();
    res.writeHead(200, { "content-type": "application/json", "x-request-id": "bench", "cache-control": "no-store" });
    res.end(JSON.stringify(PAGE));
  });
  const urls: Record<string, string> = {};
  for (const [name, server] of Object.entries({ own, hono, bare })) {
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    urls[name] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }
  return urls;
}

async function requestCosts(): Promise<Record<string, number>> {
  const body = Buffer.from(
    JSON.stringify({ subject: "x".repeat(200), body: "y".repeat(700), priority: "normal", tags: ["a", "b"] }),
  );
  const headers = {
    host: "127.0.0.1:3000",
    authorization: "Bearer abc",
    "content-type": "application/json",
    "content-length": String(body.length),
    accept: "application/json",
    "user-agent": "bench",
    "x-forwarded-for": "127.0.0.1",
  };
  const fake = () =>
    Object.assign(Readable.from([body]), {
      headers,
      method: "POST",
      url: "/api/v1/tickets?x=1",
    }) as unknown as http.IncomingMessage;
  const time = async (n: number, fn: () => Promise<unknown> | unknown) => {
    for (let i = 0; i < 2_000; i++) await fn();
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn();
    return Math.round((((performance.now() - t) * 1000) / n) * 10) / 10;
  };
  return {
    "GET: toRequest (the adapter: Headers only), µs": await time(50_000, () =>
      toRequest(Object.assign(fake(), { method: "GET" })),
    ),
    "GET: new Request(url, { headers }), µs": await time(
      50_000,
      () => new Request("http://127.0.0.1:3000/api/v1/tickets?limit=25", { headers }),
    ),
    "POST 1 KB: toRequest + readJsonBody (what the wrapper does), µs": await time(20_000, () =>
      readJsonBody(toRequest(fake())),
    ),
    "POST 1 KB: chunks from the stream + JSON.parse, µs": await time(20_000, async () => {
      const chunks: Buffer[] = [];
      for await (const c of fake()) chunks.push(c as Buffer);
      return JSON.parse(Buffer.concat(chunks).toString("utf8"));
    }),
    "POST 1 KB: Readable.toWeb Request + await req.json(), µs": await time(20_000, () =>
      new Request("http://127.0.0.1/api/v1/tickets", {
        method: "POST",
        headers,
        body: Readable.toWeb(fake()) as ReadableStream,
        duplex: "half",
      } as RequestInit).json(),
    ),
  };
}

if (process.argv.includes("--serve")) {
  const urls = await serveAll();
  process.send!({ urls });
} else {
  const seconds = arg("seconds", 4);
  const rounds = arg("rounds", 3);
  const child = fork(
    process.argv[1]!.replace(/router-compare\.ts$/, "../run.mjs"),
    ["bench/router-compare", "--serve"],
    { stdio: "inherit" },
  );
  const urls = await new Promise<Record<string, string>>((resolve) =>
    child.once("message", (m: { urls: Record<string, string> }) => resolve(m.urls)),
  );
  const rps: Record<string, number[]> = { own: [], hono: [], bare: [] };
  const p95: Record<string, number[]> = { own: [], hono: [], bare: [] };
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(rps)) {
      const r = await autocannon({
        url: `${urls[name]}/api/v1/tickets?limit=25`,
        connections: 10,
        duration: seconds,
        headers: { authorization: "Bearer bench" },
      });
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      rps[name]!.push(r.requests.average);
      p95[name]!.push(r.latency.p97_5);
    }
  }
  child.kill();
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  // On a shared machine the best round is the one least disturbed by others: both are shown.
  const best = (xs: number[]) => Math.max(...xs);
  console.log(
    `GET /api/v1/tickets, 10 connections, ${rounds} rounds × ${seconds} s each, alternating (req/s median and best; ratio to bare's):`,
  );
  for (const name of Object.keys(rps)) {
    const m = median(rps[name]!);
    const b = best(rps[name]!);
    console.log(
      `  ${name.padEnd(5)} median ${String(Math.round(m)).padStart(6)} (${(m / median(rps.bare!)).toFixed(2)})  best ${String(Math.round(b)).padStart(6)} (${(b / best(rps.bare!)).toFixed(2)})  p97.5 ${median(p95[name]!)} ms  rounds ${rps[name]!.map(Math.round).join(" / ")}`,
    );
  }
  console.log("Request costs, in-process (µs per request):");
  for (const [what, us] of Object.entries(await requestCosts())) console.log(`  ${what}: ${us}`);
}
