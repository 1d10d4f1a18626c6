import path from "node:path";
import { defineConfig } from "vitest/config";

// Two projects (docs/decisions/037-test-projects.md):
// - unit: tests/unit, pure logic. No database: no global setup, nothing booted before the first test.
// - integration: tests/integration, each file on its own clone of a migrated template database
//   (tests/setup/global.ts once per run, tests/setup/per-file.ts per file).
// Both share one pool of two workers, so two files run at once even on a two-core machine, where
// Vitest's default (cores - 1) would run one file at a time. VITEST_MAX_WORKERS overrides it.
// Run one project: `npm run test:unit`, `npm run test:integration` (or `npx vitest run --project unit`).
const WORKERS = 2;

export default defineConfig({
  resolve: {
    alias: {
      "@": path.resolve(import.meta.dirname, "src"),
      // The guard that keeps server code out of client bundles has no meaning under Vitest.
      "server-only": path.resolve(import.meta.dirname, "tests/setup/empty.ts"),
    },
  },
  test: {
    pool: "forks",
    maxWorkers: WORKERS,
    reporters: ["default", ["json", { outputFile: process.env.VITEST_JSON ?? "reports/vitest.json" }]],
    testTimeout: 20_000,
    hookTimeout: 60_000,
    env: {
      NODE_ENV: "test",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "silent",
      NEXTAUTH_SECRET: "test-only-secret-0123456789abcdefghijklmnop",
      NEXTAUTH_URL: "http://localhost:3000",
      DEMO_PASSWORD: "demo-password-for-tests",
      // Test files send far more requests per minute from one address than a person could;
      // the rate-limit tests set their own budgets.
      RATE_LIMIT_IP_PER_MIN: "1000000",
      RATE_LIMIT_USER_PER_MIN: "1000000",
      RATE_LIMIT_SEARCH_PER_MIN: "1000000",
      // Webhook and mail receivers in tests listen on loopback, which the outbound guard refuses
      // by default (decision 021); tests/integration/outbound-guard.test.ts clears this to test the refusals.
      OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8,::1/128",
    },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["tests/unit/**/*.test.ts"],
        },
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["tests/integration/**/*.test.ts"],
          globalSetup: ["tests/setup/global.ts"],
          setupFiles: ["tests/setup/per-file.ts"],
        },
      },
    ],
  },
});
