import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

// pg-boss 10 does not await its "job completed/failed" writes, so a database that goes away at that
// moment used to end the worker process with an unhandled rejection (seen by npm run test:cluster).
const root = path.resolve(import.meta.dirname, "../..");
function runWithGuard(rejection: string) {
  const code = `
    import pg from "pg";
    import { installRejectionGuard } from "./src/server/jobs/rejection-guard.ts";
    installRejectionGuard();
    ${rejection};
    setTimeout(() => { console.log("still running"); process.exit(0); }, 500);`;
  return spawnSync(
    process.execPath,
    ["--import", "tsx", "--import", "./scripts/lib/server-only-shim.mjs", "--input-type=module", "-e", code],
    {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, LOG_LEVEL: "silent" },
      timeout: 20_000,
    },
  );
}

describe("the worker's unhandled-rejection guard", () => {
  it("keeps the process running when a job-state write fails because the database is unavailable", () => {
    // A real driver error: nothing listens on port 9.
    const r = runWithGuard(`void new pg.Client({ host: "127.0.0.1", port: 9 }).connect()`);
    expect(r.stdout).toContain("still running");
    expect(r.status).toBe(0);
  });

  it("still ends the process on any other unhandled rejection", () => {
    const r = runWithGuard(`void Promise.reject(new Error("a real bug"))`);
    expect(r.stdout).not.toContain("still running");
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("a real bug");
  });
});
