import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as nextAuthRoute from "../../src/app/api/auth/[...nextauth]/route";
import { NextRequest } from "next/server";
import { appRequestListener } from "../../scripts/lib/http-server";

// Issue 18.6: TRACE on any URL and GET /api/auth/callback/credentials answered 500.

describe("the HTTP server in front of Next refuses methods no route handles", () => {
  let server: http.Server;
  let base: string;
  const reached: string[] = [];
  beforeAll(async () => {
    // The real listener serveNext installs, around a stand-in for Next's request handler.
    server = http.createServer(
      appRequestListener(async (req, res) => {
        reached.push(`${req.method} ${req.url} xff=${String(req.headers["x-forwarded-for"])}`);
        res.writeHead(200, { "content-type": "text/plain" });
        res.end("next");
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** A raw request, since fetch refuses TRACE itself. */
  const send = (method: string, path: string, body?: string) =>
    new Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }>((resolve, reject) => {
      const req = http.request(
        `${base}${path}`,
        { method, headers: body ? { "content-type": "text/plain" } : {} },
        (res) => {
          let text = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, text }));
        },
      );
      req.on("error", reject);
      req.end(body);
    });

  it.each(["TRACE", "PROPFIND", "MKCOL", "PURGE", "LOCK", "SEARCH", "LINK"])(
    "%s on any URL is 405 with Allow, never reaching Next",
    async (method) => {
      reached.length = 0;
      for (const path of ["/", "/api/v1/me", "/api/auth/callback/credentials", "/tickets/1"]) {
        const r = await send(method, path, method === "PROPFIND" ? "<propfind/>" : undefined);
        expect(r.status, `${method} ${path}`).toBe(405);
        expect(r.headers.allow).toBe("GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
        expect(JSON.parse(r.text)).toMatchObject({ error: { code: "method_not_allowed" } });
      }
      expect(reached).toEqual([]);
    },
  );

  it("a method token Node's HTTP parser does not know (FOO) is its 400, also never reaching Next", async () => {
    reached.length = 0;
    const r = await send("FOO", "/api/v1/me");
    expect(r.status).toBe(400);
    expect(reached).toEqual([]);
  });

  it("known methods still reach Next, with the peer appended to X-Forwarded-For", async () => {
    reached.length = 0;
    for (const method of ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]) {
      const r = await send(method, "/api/v1/me", method === "POST" ? "x" : undefined);
      expect(r.status, method).toBe(200);
    }
    expect(reached).toHaveLength(7);
    expect(reached[0]).toBe("GET /api/v1/me xff=127.0.0.1");
  });

  it("the connection stays usable after a refused method with a body", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const one = (method: string, body?: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(
          `${base}/x`,
          { method, agent, headers: body ? { "content-length": Buffer.byteLength(body) } : {} },
          (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode!));
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    expect(await one("PROPFIND", "a".repeat(10_000))).toBe(405);
    expect(await one("GET")).toBe(200);
    agent.destroy();
  });
});

describe("GET /api/auth/callback/credentials", () => {
  it("is 405 with Allow: POST (the sign-in form posts), never a 500", async () => {
    for (const query of ["", "?email=a@example.test&password=x", "?callbackUrl=/tickets"]) {
      const res = await nextAuthRoute.GET(
        new NextRequest(`http://localhost:3000/api/auth/callback/credentials${query}`, {
          headers: { "x-forwarded-for": "127.0.0.1" },
        }),
        {
          params: Promise.resolve({ nextauth: ["callback", "credentials"] }),
        },
      );
      expect(res.status).toBe(405);
      expect(res.headers.get("allow")).toBe("POST");
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("method_not_allowed");
    }
  });
});
