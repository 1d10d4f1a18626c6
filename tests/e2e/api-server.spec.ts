import { expect, test, type APIRequestContext, type APIResponse } from "@playwright/test";
import { demoPassword } from "./db";
import { signedIn } from "./session";

// Issue 16 item 1 (decision 046): npm start answers the API on its own listener through the route
// table; Next's route files answer it when Next serves alone (npm run dev). scripts/test-e2e.ts
// serves the same production build twice in one process: E2E_BASE_URL the way npm start does,
// E2E_NEXT_API_URL with the API left to Next. The same requests go to both; the answers must be
// the same but for what differs per request (ids, times, rate-limit budget) or per transport
// (Date, Connection, Keep-Alive, the choice of Content-Length or chunked).

const OWN = process.env.E2E_BASE_URL!;
const NEXT = process.env.E2E_NEXT_API_URL!;

const VARYING = new Set([
  "date",
  "connection",
  "keep-alive",
  "content-length",
  "transfer-encoding",
  "x-request-id",
  "ratelimit-remaining",
  "ratelimit-reset",
]);

type Answer = { status: number; headers: Record<string, string>; body: string };

async function answer(r: APIResponse, method: string): Promise<Answer> {
  const headers = Object.fromEntries(
    Object.entries(r.headers())
      .filter(([k]) => !VARYING.has(k))
      // Accept-Encoding in Vary belongs to compression: Next's compression step adds it on some
      // answers and not others (not on /api/openapi.json), and the own server does not compress
      // (decision 046). Every other Vary token must match.
      .map(
        ([k, v]) =>
          [
            k,
            k === "vary"
              ? v
                  .split(/,\s*/)
                  .filter((t) => t.toLowerCase() !== "accept-encoding")
                  .join(", ")
              : v,
          ] as const,
      )
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  const body = method === "HEAD" ? "" : (await r.body()).toString("utf8");
  return {
    status: r.status(),
    headers,
    body: body
      .replace(/"requestId":"[^"]+"/g, '"requestId":"…"')
      .replace(/"latencyMs":\d+/g, '"latencyMs":…')
      .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z/g, "…"),
  };
}

type Req = { method: string; path: string; headers?: Record<string, string>; data?: string | Buffer };

async function send(request: APIRequestContext, base: string, r: Req): Promise<Answer> {
  // Next gzips its answers for a client that accepts it (Vary: Accept-Encoding); the own server
  // does not compress (decision 046: left to the reverse proxy), so the comparison asks for none.
  const res = await request.fetch(`${base}${r.path}`, {
    method: r.method,
    headers: { "accept-encoding": "identity", ...r.headers },
    data: r.data,
    maxRedirects: 0,
  });
  return answer(res, r.method);
}

async function same(request: APIRequestContext, r: Req): Promise<Answer> {
  const own = await send(request, OWN, r);
  const next = await send(request, NEXT, r);
  expect(own, `${r.method} ${r.path}`).toEqual(next);
  return own;
}

test.describe("the own API server and Next's route files answer alike", () => {
  test("probes, document, errors, reads, writes, HEAD and a replayed create", async ({ request }) => {
    expect(OWN && NEXT && OWN !== NEXT, "scripts/test-e2e.ts serves both").toBeTruthy();
    const token = (
      await (
        await request.post(`${OWN}/api/v1/auth/token`, { data: { email: "agent@acme.test", password: demoPassword() } })
      ).json()
    ).token as string;
    expect(token).toBeTruthy();
    const auth = { authorization: `Bearer ${token}` };
    const json = { ...auth, "content-type": "application/json" };

    expect((await same(request, { method: "GET", path: "/healthz" })).status).toBe(200);
    expect((await same(request, { method: "GET", path: "/readyz" })).status).toBe(200);
    await same(request, { method: "HEAD", path: "/healthz" });
    const doc = await same(request, { method: "GET", path: "/api/openapi.json" });
    expect(
      (
        await same(request, {
          method: "GET",
          path: "/api/openapi.json",
          headers: { "if-none-match": doc.headers.etag! },
        })
      ).status,
    ).toBe(304);
    expect((await send(request, OWN, { method: "GET", path: "/api/metrics" })).status).toBe(200);

    expect((await same(request, { method: "GET", path: "/api/v1/me" })).status).toBe(401);
    expect((await same(request, { method: "GET", path: "/api/v1/me", headers: auth })).status).toBe(200);
    expect((await same(request, { method: "HEAD", path: "/api/v1/me", headers: auth })).status).toBe(200);
    expect(
      (
        await same(request, {
          method: "GET",
          path: "/api/v1/no-such-thing",
          headers: { accept: "application/problem+json" },
        })
      ).status,
    ).toBe(404);
    expect((await same(request, { method: "GET", path: "/api/v1" })).status).toBe(404);
    const wrong = await same(request, { method: "PUT", path: "/api/v1/me", headers: auth });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.allow).toBeTruthy();
    expect(
      (await same(request, { method: "GET", path: "/api/v1/tickets?limit=3&status=open", headers: auth })).status,
    ).toBe(200);
    expect((await same(request, { method: "GET", path: "/api/v1/tickets?nope=1", headers: auth })).status).toBe(400);
    expect(
      (
        await same(request, {
          method: "POST",
          path: "/api/v1/tickets",
          headers: { ...auth, "content-type": "text/plain" },
          data: "hi",
        })
      ).status,
    ).toBe(415);
    expect(
      (
        await same(request, {
          method: "POST",
          path: "/api/v1/tickets",
          headers: json,
          data: Buffer.alloc(1024 * 1024 + 1, "a"),
        })
      ).status,
    ).toBe(413);
    expect(
      (await same(request, { method: "POST", path: "/api/v1/tickets", headers: json, data: "{nope" })).status,
    ).toBe(400);
    // Both leave these to Next: a trailing slash (its 308) and OPTIONS.
    expect((await same(request, { method: "GET", path: "/api/v1/" })).status).toBe(308);
    await same(request, { method: "OPTIONS", path: "/api/v1/me", headers: auth });

    // A create on the own server, then the same Idempotency-Key replayed through each: the same replay.
    const create: Req = {
      method: "POST",
      path: "/api/v1/tickets",
      headers: { ...json, "idempotency-key": `parity-${Date.now()}` },
      data: JSON.stringify({ subject: "parity", body: "both paths" }),
    };
    const first = await send(request, OWN, create);
    expect(first.status).toBe(201);
    const replay = await same(request, create);
    expect(replay.headers["idempotent-replayed"]).toBe("true");
    const id = (JSON.parse(first.body) as { id: string }).id;
    const got = await same(request, { method: "GET", path: `/api/v1/tickets/${id}`, headers: auth });
    expect(got.headers.etag).toBeTruthy();
    expect(
      (
        await same(request, {
          method: "PATCH",
          path: `/api/v1/tickets/${id}`,
          headers: { ...json, "if-match": '"999"' },
          data: JSON.stringify({ priority: "high" }),
        })
      ).status,
    ).toBe(412);
  });

  test("one metrics registry: an API request on the own server and a sign-in page served by Next show in one scrape", async ({
    browser,
    request,
  }) => {
    const before = await (await request.get(`${OWN}/api/metrics`)).text();
    const formSignIns = (text: string) =>
      Number(/^signin_attempts_total\{outcome="success",via="form"\} (\d+)/m.exec(text)?.[1] ?? 0);
    // The sign-in form posts to NextAuth, which Next serves; it counts signin_attempts_total{via="form"}.
    await signedIn(browser, "agent@acme.test");
    const token = (
      await (
        await request.post(`${OWN}/api/v1/auth/token`, { data: { email: "agent@acme.test", password: demoPassword() } })
      ).json()
    ).token as string;
    const marker = `/api/v1/tickets/00000000-0000-4000-8000-${Date.now().toString().padStart(12, "0").slice(-12)}`;
    expect((await request.get(`${OWN}${marker}`, { headers: { authorization: `Bearer ${token}` } })).status()).toBe(
      404,
    );
    const after = await (await request.get(`${OWN}/api/metrics`)).text();
    expect(formSignIns(after)).toBeGreaterThan(formSignIns(before));
    expect(after).toMatch(/^http_requests_total\{method="GET",route="\/api\/v1\/tickets\/:id",status="404"\} [1-9]/m);
    // The own server counted the API request in the registry the scrape (also its own) reads, which
    // is the registry Next's NextAuth route counted in: one per process, on globalThis.
    expect(after).toMatch(/^http_requests_total\{method="POST",route="\/api\/v1\/auth\/token",status="201"\} [1-9]/m);
  });
});
