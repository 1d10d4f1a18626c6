import { defineConfig, devices } from "@playwright/test";

// Run through `npm run test:e2e` (scripts/test-e2e.ts), which builds the app, prepares a throwaway
// database, serves Beacon and sets E2E_BASE_URL / E2E_PASSWORD. Playwright's own browsers are never
// downloaded: Debian's Chromium is the browser.
const baseURL = process.env.E2E_BASE_URL ?? "http://127.0.0.1:3000";

export default defineConfig({
  testDir: "tests/e2e",
  outputDir: "test-results",
  // Two workers, every test on its own: each test that signs in or changes settings gets its own
  // org from the fixture in tests/e2e/fixtures.ts, and the harness raises the server's per-address
  // sign-in budget (decision 049). E2E_WORKERS=1 runs one test at a time, to check whether a
  // failure depends on what runs beside it.
  workers: Number(process.env.E2E_WORKERS ?? 2),
  fullyParallel: true,
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
