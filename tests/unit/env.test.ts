import { describe, expect, it } from "vitest";
import { EnvError, parseEnv } from "../../src/server/env";

const problems = (src: Record<string, string | undefined>) => {
  try {
    parseEnv(src);
    return [];
  } catch (err) {
    if (err instanceof EnvError) return err.problems;
    throw err;
  }
};

describe("env schema", () => {
  it("accepts an empty environment in development (embedded defaults)", () => {
    const e = parseEnv({});
    expect(e.PORT).toBe(3000);
    expect(e.NODE_ENV).toBe("development");
    expect(e.FEATURES_DISABLED).toEqual([]);
  });

  it("requires NEXTAUTH_SECRET in production with an external database, naming the variable", () => {
    const p = problems({ NODE_ENV: "production", DATABASE_URL: "postgres://db.internal/beacon" });
    expect(p).toEqual(["NEXTAUTH_SECRET is required when NODE_ENV=production with an external DATABASE_URL"]);
    expect(
      problems({ NODE_ENV: "production", DATABASE_URL: "postgres://db/beacon", NEXTAUTH_SECRET: "x".repeat(32) }),
    ).toEqual([]);
    // The embedded demo is given a generated secret by npm start.
    expect(
      problems({ NODE_ENV: "production", DATABASE_URL: "postgres://127.0.0.1:54329/beacon", BEACON_EMBEDDED_DB: "1" }),
    ).toEqual([]);
  });

  it("reports each malformed variable on its own line", () => {
    const p = problems({
      PORT: "eighty",
      DATABASE_URL: "mysql://x",
      NEXTAUTH_SECRET: "short",
      LOG_LEVEL: "loud",
      REDIS_URL: "not a url",
    });
    expect(p).toHaveLength(5);
    for (const name of ["PORT", "DATABASE_URL", "NEXTAUTH_SECRET", "LOG_LEVEL", "REDIS_URL"]) {
      expect(
        p.some((line) => line.startsWith(`${name} `)),
        name,
      ).toBe(true);
    }
  });

  it("parses the kill-switch list", () => {
    expect(parseEnv({ FEATURES_DISABLED: " export, attachments ,," }).FEATURES_DISABLED).toEqual([
      "export",
      "attachments",
    ]);
  });

  it("rejects an unknown feature name in FEATURES_DISABLED, listing the valid names (issue 21)", () => {
    expect(problems({ FEATURES_DISABLED: "exprot,attachments" })).toEqual([
      'FEATURES_DISABLED has unknown feature name(s) "exprot"; valid names: attachments, export, search, webhooks, signup_tokens, notifications_email, email_inbound',
    ]);
  });

  it("validates SHUTDOWN_GRACE_MS (default 10 s)", () => {
    expect(parseEnv({}).SHUTDOWN_GRACE_MS).toBe(10_000);
    expect(parseEnv({ SHUTDOWN_GRACE_MS: "2500" }).SHUTDOWN_GRACE_MS).toBe(2500);
    expect(problems({ SHUTDOWN_GRACE_MS: "soon" })).toEqual(["SHUTDOWN_GRACE_MS must be an integer >= 0"]);
    expect(problems({ SHUTDOWN_GRACE_MS: "3600000" })).toEqual([
      "SHUTDOWN_GRACE_MS must be at most 600000 (10 minutes)",
    ]);
  });
});
