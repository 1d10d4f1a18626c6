import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as exportRoute, apiRoute as incrementalRoute } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Issue 18.5: `updatedSince=0000-01-01T00:00:00Z` passed validation, then PostgreSQL refused the
// year inside the stream: an empty reply after export.started was audited and the budget spent.
// Date query parameters now accept instants in 1970–9999 only, refused with 400 before any work.

let w: World;
beforeAll(async () => {
  w = await createWorld();
  await newTicket(w.customer, { subject: "dated" });
});
afterEach(() => {
  setProcessEnv({ RATE_LIMIT_EXPORT_PER_MIN: "" });
  resetLimitersForTests();
});

const started = async () =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ n: number }>(
        sql`select count(*)::int as n from audit_events where org_id = ${w.org.id} and action = 'export.started'`,
      ),
    )
  ).rows[0]!.n;

const OUT_OF_RANGE = [
  "0000-01-01T00:00:00Z",
  "0001-01-01T00:00:00Z",
  "1969-12-31T23:59:59Z",
  "1970-01-01T00:30:00+01:00", // 1969-12-31T23:30Z
  "9999-12-31T23:59:59-05:00", // 10000-01-01T04:59:59Z
];

describe("date query parameters are bounded to the years 1970–9999", () => {
  it("the full export refuses out-of-range updatedSince with 400 naming it, audits nothing and spends no budget", async () => {
    setProcessEnv({ RATE_LIMIT_EXPORT_PER_MIN: "1" });
    const before = await started();
    for (const updatedSince of OUT_OF_RANGE) {
      const r = await call(exportRoute.GET, "GET", "/api/v1/export/tickets", {
        cookie: w.admin.cookie,
        query: { updatedSince },
      });
      expect(r.status, `${updatedSince}: ${r.text}`).toBe(400);
      expect(r.body.error.code).toBe("validation_failed");
      expect(JSON.stringify(r.body.error.details)).toContain("updatedSince");
      expect(r.text).toContain("1970–9999");
    }
    expect(await started()).toBe(before);
    // The one export the budget allows is still there, and the bounds themselves are accepted.
    const ok = await call(exportRoute.GET, "GET", "/api/v1/export/tickets", {
      cookie: w.admin.cookie,
      query: { updatedSince: "1970-01-01T00:00:00Z", format: "ndjson" },
    });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.text).toContain("dated");
    expect(await started()).toBe(before + 1);
  });

  it("the upper bound is accepted (and finds nothing)", async () => {
    const r = await call(exportRoute.GET, "GET", "/api/v1/export/tickets", {
      cookie: w.admin.cookie,
      query: { updatedSince: "9999-12-31T23:59:59Z", format: "ndjson" },
    });
    expect(r.status, r.text).toBe(200);
    expect(r.text).toBe("");
  });

  it("the incremental export refuses out-of-range startTime the same way", async () => {
    const before = await started();
    for (const startTime of OUT_OF_RANGE) {
      const r = await call(incrementalRoute.GET, "GET", "/api/v1/export/tickets/incremental", {
        cookie: w.admin.cookie,
        query: { startTime },
      });
      expect(r.status, `${startTime}: ${r.text}`).toBe(400);
      expect(JSON.stringify(r.body.error.details)).toContain("startTime");
    }
    expect(await started()).toBe(before);
    const ok = await call(incrementalRoute.GET, "GET", "/api/v1/export/tickets/incremental", {
      cookie: w.admin.cookie,
      query: { startTime: "1970-01-01T00:00:00Z" },
    });
    expect(ok.status, ok.text).toBe(200);
  });
});
