import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as flagsRoute } from "../helpers/http";
import type { PageUser } from "../../src/server/auth/page-session";
import { setProcessEnv } from "../../src/server/env";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { ZListTickets } from "../../src/server/tickets/schemas";
import { STAFF_VIEWS } from "../../src/server/tickets/view-counts";
import { loadWorkspace } from "../../src/server/pages/workspace-data";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createWorld, type Actor, type World } from "../helpers/world";

// Issue 18 item 8: the ticket list page ran listTickets without the API's IP, user and search
// budgets (65 searches a minute passed where the API stops at 60) and searched with the org's
// `search` feature switched off (the API answers 503). The page now goes through the same
// admission (src/server/ratelimit/admission.ts) as GET /api/v1/tickets.

let w: World;
beforeAll(async () => {
  w = await createWorld();
  await newTicket(w.customer, { subject: "Printer on fire" });
});
afterEach(async () => {
  setProcessEnv({
    RATE_LIMIT_SEARCH_PER_MIN: "1000000",
    RATE_LIMIT_USER_PER_MIN: "1000000",
    RATE_LIMIT_IP_PER_MIN: "1000000",
    FEATURES_DISABLED: "",
  });
  resetLimitersForTests();
  await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
    cookie: w.admin.cookie,
    body: { key: "search", enabled: null },
  });
});

const pageUser = (a: Actor): PageUser => ({
  userId: a.id,
  orgId: a.orgId,
  role: a.role,
  email: a.email,
  name: a.email,
  mustChangePassword: false,
  sessionVersion: a.sessionVersion,
  via: "session",
  org: { id: w.org.id, name: w.org.name, slug: w.org.slug },
});
const headersFrom = (ip: string) => new Headers({ "x-forwarded-for": ip });
/** What "/?view=all&q=…" loads for the agent. */
const page = (a: Actor, query: Record<string, string>, ip = "127.0.0.1") =>
  loadWorkspace(
    pageUser(a),
    STAFF_VIEWS,
    ZListTickets.parse({ status: "new,open,pending,on_hold", ...query }),
    headersFrom(ip),
  );

describe("the ticket list page passes the API's admission", () => {
  it("searches beyond the per-minute search budget are refused like the API's, and the page and API share it", async () => {
    setProcessEnv({ RATE_LIMIT_SEARCH_PER_MIN: "3" });
    resetLimitersForTests();
    for (let i = 0; i < 3; i++) {
      const ok = await page(w.agent, { q: "printer" });
      expect(ok.refused).toBeNull();
      expect(ok.list?.data.map((t) => t.subject)).toContain("Printer on fire");
    }
    const over = await page(w.agent, { q: "printer" });
    expect(over.list).toBeNull();
    expect(over.refused).toMatchObject({ code: "rate_limited", retryAfterSec: expect.any(Number) });
    // One budget: the API is refused too, and listing without a search still works on both.
    expect((await api.listTickets(w.agent, { q: "printer" })).status).toBe(429);
    expect((await page(w.agent, {})).list?.data.length).toBeGreaterThan(0);
    // Another user has a budget of their own.
    expect((await page(w.agent2, { q: "printer" })).refused).toBeNull();
  });

  it("the IP and user budgets apply to page loads as to API calls", async () => {
    setProcessEnv({ RATE_LIMIT_USER_PER_MIN: "2" });
    resetLimitersForTests();
    expect((await page(w.admin, {})).refused).toBeNull();
    expect((await api.listTickets(w.admin)).status).toBe(200);
    expect((await page(w.admin, {})).refused).toMatchObject({ code: "rate_limited" });
    setProcessEnv({ RATE_LIMIT_USER_PER_MIN: "1000000", RATE_LIMIT_IP_PER_MIN: "1" });
    resetLimitersForTests();
    expect((await page(w.agent2, {}, "10.9.8.7")).refused).toBeNull();
    expect((await page(w.agent2, {}, "10.9.8.7")).refused).toMatchObject({ code: "rate_limited" });
    expect((await page(w.agent2, {}, "10.9.8.6")).refused).toBeNull();
  });

  it("with search switched off for the org, the page shows the switched-off message and runs no search", async () => {
    setProcessEnv({ RATE_LIMIT_SEARCH_PER_MIN: "1" });
    resetLimitersForTests();
    const off = await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
      cookie: w.admin.cookie,
      body: { key: "search", enabled: false },
    });
    expect(off.status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const r = await page(w.agent, { q: "printer" });
      expect(r.list).toBeNull();
      expect(r.refused).toMatchObject({ code: "feature_disabled", message: "search is switched off right now" });
    }
    expect((await api.listTickets(w.agent, { q: "printer" })).status).toBe(503);
    // Without a search the list still shows.
    expect((await page(w.agent, {})).list?.data.length).toBeGreaterThan(0);
    // The refused loads never reached the search: its budget of one is still unspent.
    await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
      cookie: w.admin.cookie,
      body: { key: "search", enabled: null },
    });
    await new Promise((r) => setTimeout(r, 5_100)); // the per-org flag cache lives 5 s
    expect((await page(w.agent, { q: "printer" })).refused).toBeNull();
    expect((await page(w.agent, { q: "printer" })).refused).toMatchObject({ code: "rate_limited" });
  });

  it("the env kill switch refuses the page's search too", async () => {
    setProcessEnv({ FEATURES_DISABLED: "search" });
    expect((await page(w.agent, { q: "printer" })).refused).toMatchObject({ code: "feature_disabled" });
    expect((await page(w.agent, {})).refused).toBeNull();
  });
});
