import { defineConfig, devices } from "@playwright/test";

// Run through `npm run test:e2e` (scripts/test-e2e.ts), which builds the app, prepares a throwaway
// database, serves Beacon and sets E2E_BASE_URL / E2E_PASSWORD. Playwright's own browsers are never
// downloaded: Debian's Chromium is the browser.
const baseURL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  // One worker: the specs share one server and its sign-in rate limiter.
  workers: 1,
  fullyParallel: false,
  forbidOnly: Boolean(process.env.CI),
  retries: 0,
  timeout: 30_000,
  expect: { timeout: 10_000 },
  // The JSON report lives outside outputDir, which Playwright empties at the start of a run.
  reporter: [["list"], ["json", { outputFile: "reports/e2e.json" }]],
  use: {
    baseURL,
    screenshot: "only-on-failure",
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
});
