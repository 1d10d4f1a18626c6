import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

// npm start refuses to half-start: bad env or an unreachable database stop it with one clear line.
const root = path.resolve(import.meta.dirname, "../..");
function start(env: Record<string, string>) {
  const r = spawnSync(process.execPath, ["scripts/run.mjs", "start"], {
    cwd: root,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME ?? "/root", ...env } as unknown as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

describe("npm start at boot", () => {
  it("exits non-zero naming the variable when the environment is invalid", () => {
    const r = start({ NODE_ENV: "production", DATABASE_URL: "postgres://db.invalid/beacon" });
    expect(r.code).toBe(1);
    expect(r.out.trim().split("\n")).toContain(
      "Invalid environment: NEXTAUTH_SECRET is required when NODE_ENV=production with an external DATABASE_URL",
    );
  });

  it("exits non-zero with a clear line when the database is unreachable", () => {
    const r = start({ DATABASE_URL: "postgres://nobody@127.0.0.1:9/beacon", NEXTAUTH_SECRET: "x".repeat(40) });
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/Cannot reach the database at 127\.0\.0\.1:9\/beacon \(ECONNREFUSED\)/);
    expect(r.out).not.toMatch(/Beacon is running/);
  });
});
