import { expect, test } from "./fixtures";
import { demoPassword } from "./db";

test("pages carry a nonce CSP with no inline scripts allowed, and still run (no CSP violations)", async ({
  page,
  org,
}) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto("/login");
  const csp = res!.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).toContain("frame-ancestors 'none'");
  // No remote images (tracking pixels in comments): only Beacon's own, data: and blob:.
  expect(csp).toMatch(/(^|; )img-src 'self' data: blob:(;|$)/);
  expect(res!.headers()["x-content-type-options"]).toBe("nosniff");
  expect(res!.headers()["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  // The app is interactive under that policy: hydration enables the sign-in button and sign-in works.
  await page.getByLabel("Email").fill(org.email("agent"));
  await page.getByLabel("Password", { exact: true }).fill(demoPassword());
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/$/);
  const nonces = await page.locator("script[nonce]").count();
  expect(nonces).toBeGreaterThan(0);
  expect(violations).toEqual([]);
});

test("API responses carry a deny-all CSP, nosniff and a request id", async ({ request }) => {
  const r = await request.get("/api/v1/me");
  expect(r.status()).toBe(401);
  expect(r.headers()["content-security-policy"]).toContain("default-src 'none'");
  expect(r.headers()["x-content-type-options"]).toBe("nosniff");
  expect(r.headers()["x-request-id"]).toBeTruthy();
  const h = await request.get("/healthz");
  expect(h.status()).toBe(200);
  expect(h.headers()["x-frame-options"]).toBe("DENY");
});

test("the bare /api/v1 and unknown API paths are the API's JSON 404, not Next's HTML page; problem+json on request (issue 20)", async ({
  request,
}) => {
  // Next redirects a trailing slash first (308 to /api/v1), as for every path.
  const slash = await request.get("/api/v1/", { maxRedirects: 0 });
  expect(slash.status()).toBe(308);
  expect(slash.headers()["location"]).toMatch(/\/api\/v1$/);
  for (const path of ["/api/v1", "/api/v1/no-such-thing"]) {
    const r = await request.get(path, { maxRedirects: 0 });
    expect(r.status(), path).toBe(404);
    expect(r.headers()["content-type"], path).toMatch(/^application\/json/);
    expect((await r.json()).error.code, path).toBe("not_found");
    expect(r.headers()["x-request-id"], path).toBeTruthy();
  }
  const p = await request.get("/api/v1", { headers: { accept: "application/problem+json" } });
  expect(p.headers()["content-type"]).toBe("application/problem+json");
  expect(await p.json()).toMatchObject({ status: 404, code: "not_found", title: "Not found" });
  const doc = await request.get("/api/openapi.json");
  expect(doc.headers()["cache-control"]).toBe("public, max-age=60");
  const again = await request.get("/api/openapi.json", { headers: { "if-none-match": doc.headers()["etag"]! } });
  expect(again.status()).toBe(304);
});

test("every HTML response carries the CSP, prefetches and RSC requests included (issue 18 item 14)", async ({
  request,
}) => {
  const variants: Record<string, string>[] = [
    {},
    { "next-router-prefetch": "1" },
    { "next-router-prefetch": "1", rsc: "1" },
    { rsc: "1" },
    { purpose: "prefetch" },
    { "sec-purpose": "prefetch" },
  ];
  for (const path of ["/login", "/", "/tickets/00000000-0000-4000-8000-000000000000", "/no-such-page"]) {
    for (const headers of variants) {
      const r = await request.get(path, { headers, maxRedirects: 0 });
      const csp = r.headers()["content-security-policy"] ?? "";
      expect(csp, `${path} ${JSON.stringify(headers)} → ${r.status()}`).toMatch(
        /script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/,
      );
      expect(csp).not.toContain("https:");
    }
  }
  // Paths the page proxy skips: whatever they answer, an HTML answer allows nothing.
  for (const path of ["/favicon.ico", "/_next/static/no-such-chunk.js", "/_next/image", "/healthz"]) {
    const r = await request.get(path, { maxRedirects: 0 });
    if ((r.headers()["content-type"] ?? "").includes("text/html")) {
      expect(r.headers()["content-security-policy"], path).toContain("default-src 'none'");
    }
  }
});
