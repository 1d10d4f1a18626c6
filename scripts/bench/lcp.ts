// npm run bench:lcp -- --url http://127.0.0.1:3000 --email agent@acme.test  (password: BENCH_PASSWORD)
//
// Largest-contentful-paint of the workspace list and a ticket page, on whatever data the server
// holds (the demo data in the e2e run), in Debian's Chromium: one cold load (cache cleared) and
// five warm loads each; prints one JSON line. Reported, not asserted (issue 14 item 9); the e2e
// spec tests/e2e/workspace-live.spec.ts prints the same report for the e2e build.
import { parseArgs } from "node:util";
import { chromium } from "@playwright/test";
import { lcpReport } from "./lcp-measure";

const { values } = parseArgs({
  options: {
    url: { type: "string", default: "http://127.0.0.1:3000" },
    email: { type: "string", default: "agent@acme.test" },
    warm: { type: "string", default: "5" },
  },
});
const password = process.env.BENCH_PASSWORD;
if (!password) {
  console.error("set BENCH_PASSWORD to the user's password");
  process.exit(2);
}
const base = values.url!.replace(/\/$/, "");
const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--no-sandbox", "--disable-gpu"] });
try {
  const page = await (await browser.newContext({ viewport: { width: 1366, height: 900 } })).newPage();
  await page.goto(`${base}/login`);
  await page.getByLabel("Email", { exact: true }).fill(values.email!);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(/\/$/);
  const first = await page.locator("[data-row-link]").first().getAttribute("href");
  const urls = [`${base}/?view=all`, ...(first ? [new URL(first, base).href] : [])];
  const report = await lcpReport(page, urls, Number(values.warm));
  console.log(JSON.stringify({ bench: "lcp", at: new Date().toISOString(), pages: report }));
} finally {
  await browser.close();
}
