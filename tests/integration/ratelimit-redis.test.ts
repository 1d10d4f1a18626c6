import { randomInt } from "node:crypto";
import net from "node:net";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { setProcessEnv } from "../../src/server/env";
import { assertSignInAllowed, recordSignInFailure } from "../../src/server/auth/signin-throttle";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";

// The failure budget is shared by every app process through Redis when REDIS_URL is set.
// A second "process" is simulated by dropping this process's limiter objects: only Redis is left
// to remember the failures.
const REDIS = "redis://127.0.0.1:6379";

const reachable = await new Promise<boolean>((resolve) => {
  const s = net.connect(6379, "127.0.0.1");
  s.once("connect", () => (s.destroy(), resolve(true)));
  s.once("error", () => resolve(false));
});
if (!reachable) console.log("skipped: no Redis on 127.0.0.1:6379 (shared-budget tests need one)");

afterAll(() => {
  setProcessEnv({ REDIS_URL: "" });
  resetLimitersForTests();
});
beforeEach(() => resetLimitersForTests());

describe.runIf(reachable)("sign-in throttling with REDIS_URL", () => {
  it("shares one budget between processes", async () => {
    setProcessEnv({ REDIS_URL: REDIS });
    const email = `shared-${Date.now()}-${Math.random()}@example.test`;
    // An address of this run only: the machine's Redis outlives test runs, and a fixed address's
    // daily budget (100 failures) would fill up over repeated runs and refuse for the wrong reason.
    const ip = `10.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
    for (let i = 0; i < 3; i++) await recordSignInFailure(email, ip);
    resetLimitersForTests(); // "another process"
    for (let i = 0; i < 2; i++) await recordSignInFailure(email, ip);
    resetLimitersForTests();
    await expect(assertSignInAllowed(email, ip)).rejects.toMatchObject({ code: "rate_limited" });
  });
});

describe("sign-in throttling when Redis is down", () => {
  it("falls back to this process's memory without failing the request", async () => {
    setProcessEnv({ REDIS_URL: "redis://127.0.0.1:9" });
    const email = `down-${Date.now()}@example.test`;
    for (let i = 0; i < 5; i++) await recordSignInFailure(email, "10.8.8.8");
    await expect(assertSignInAllowed(email, "10.8.8.8")).rejects.toMatchObject({ code: "rate_limited" });
    await expect(assertSignInAllowed("other@example.test", "10.8.8.8")).resolves.toBeUndefined();
  });
});
