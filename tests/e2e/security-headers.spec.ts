import { expect, test } from "@playwright/test";
import { demoPassword } from "./db";

test("pages carry a nonce CSP with no inline scripts allowed, and still run (no CSP violations)", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(m.text())) violations.push(m.text());
  });
  const res = await page.goto("/login");
  const csp = res!.headers()["content-security-policy"] ?? "";
  expect(csp).toMatch(/script-src 'self' 'nonce-[A-Za-z0-9+/=]+' 'strict-dynamic'/);
  expect(csp).not.toMatch(/script-src[^;]*'unsafe-inline'/);
  expect(csp).toContain("frame-ancestors 'none'");
  expect(res!.headers()["x-content-type-options"]).toBe("nosniff");
  expect(res!.headers()["referrer-policy"]).toBe("strict-origin-when-cross-origin");
  // The app is interactive under that policy: hydration enables the sign-in button and sign-in works.
  await page.getByLabel("Email").fill("agent@acme.test");
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
