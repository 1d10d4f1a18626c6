// A switched-off feature's 503 is an operator's choice, not a fault: its request line logs below
// error (level 40), so "alert on level >= 50" stays quiet during an incident (issue 21 §4). A real
// 503 from a failure still logs at 50.
import { Writable } from "node:stream";
import pino from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { route } from "../../src/server/http/route";
import { AppError } from "../../src/server/core/errors";
import { logger, setLogger } from "../../src/server/observability/logger";
import { setProcessEnv } from "../../src/server/env";
import { createOrg, createUser, sessionCookie, type TestUser } from "../helpers/factories";
import { call } from "../helpers/http";

const lines: Record<string, unknown>[] = [];
const original = logger();
let agent: TestUser;
beforeAll(async () => {
  setLogger(
    pino(
      { level: "info" },
      new Writable({ write: (chunk, _enc, cb) => (lines.push(JSON.parse(String(chunk))), cb()) }),
    ),
  );
  agent = await createUser(await createOrg(), { role: "agent" });
});
afterAll(() => {
  setLogger(original);
  setProcessEnv({ FEATURES_DISABLED: "" });
});

const exportish = route({ auth: "any", feature: "export" }, async () => ({ ok: true }));
const unavailable = route({ auth: "any" }, async () => {
  throw new AppError("unavailable", "database unavailable");
});

describe("request log level of a 503", () => {
  it("feature_disabled logs at warn (40), an unavailable 503 at error (50)", async () => {
    setProcessEnv({ FEATURES_DISABLED: "export" });
    const cookie = await sessionCookie(agent);
    const off = await call(exportish, "GET", "/api/v1/export/tickets", { cookie });
    expect(off.status).toBe(503);
    const offLine = lines.find((l) => l.msg === "request" && l.requestId === off.headers.get("x-request-id"));
    expect(offLine).toMatchObject({ level: 40, status: 503, error: "feature_disabled", event: "feature_disabled" });

    const down = await call(unavailable, "GET", "/api/v1/me", { cookie });
    expect(down.status).toBe(503);
    const downLine = lines.find((l) => l.msg === "request" && l.requestId === down.headers.get("x-request-id"));
    expect(downLine).toMatchObject({ level: 50, status: 503 });
  });
});
