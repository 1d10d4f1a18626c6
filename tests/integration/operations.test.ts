import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as health } from "../../src/app/api/health/route";
import { GET as metricsRoute } from "../../src/app/api/metrics/route";
import { apiRoute as flagsRoute } from "../helpers/http";
import { GET as me } from "../helpers/http";
import { POST as createToken } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { beatHeartbeat } from "../../src/server/jobs/heartbeat";
import { setProcessEnv } from "../../src/server/env";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { freePort } from "../../scripts/lib/local-infra";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});
afterEach(() => {
  setProcessEnv({
    METRICS_TOKEN: "",
    FEATURES_DISABLED: "",
    RATE_LIMIT_USER_PER_MIN: "1000000",
    RATE_LIMIT_IP_PER_MIN: "1000000",
    RATE_LIMIT_SEARCH_PER_MIN: "1000000",
  });
  resetLimitersForTests();
});

describe("GET /api/health and /api/metrics", () => {
  it("health reports db, migrations, queue and version", async () => {
    // Health is degraded without a live job worker (issue 21; its rows: health-rows.test.ts).
    await beatHeartbeat("operations-test");
    const r = await health();
    expect(r.status).toBe(200);
    const body = await r.json();
    expect(body).toMatchObject({
      status: "ok",
      db: { ok: true },
      migrations: { pending: 0 },
      queue: { ok: true },
      version: expect.any(String),
    });
    expect(body.db.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("metrics expose requests by route template and status, SLA and job figures; METRICS_TOKEN protects them", async () => {
    const t = await newTicket(w.customer);
    await api.getTicket(w.agent, t.id);
    const open = await metricsRoute(new Request("http://x/api/metrics"));
    const text = await open.text();
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/api\/v1\/tickets\/:id",status="200"\} \d+/);
    expect(text).toMatch(
      /http_request_duration_seconds_bucket\{le="0.05",method="POST",route="\/api\/v1\/tickets",status="201"\}/,
    );
    expect(text).toContain('sla_events_recorded{kind="breach"}');
    expect(text).toMatch(/jobs\{queue="notify",state="waiting"\} \d+/);
    expect(text).toContain("beacon_process_cpu_user_seconds_total");
    setProcessEnv({ METRICS_TOKEN: "metrics-secret-123" });
    expect((await metricsRoute(new Request("http://x/api/metrics"))).status).toBe(401);
    expect(
      (await metricsRoute(new Request("http://x/api/metrics", { headers: { authorization: "Bearer wrong" } }))).status,
    ).toBe(401);
    expect(
      (
        await metricsRoute(
          new Request("http://x/api/metrics", { headers: { authorization: "Bearer metrics-secret-123" } }),
        )
      ).status,
    ).toBe(200);
  });
});

describe("API rate limits", () => {
  it("per user: over budget is 429 with Retry-After and RateLimit-* headers; other users are unaffected", async () => {
    setProcessEnv({ RATE_LIMIT_USER_PER_MIN: "3" });
    resetLimitersForTests();
    const results = [];
    for (let i = 0; i < 4; i++) results.push(await call(me, "GET", "/api/v1/me", { cookie: w.agent.cookie }));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    expect(results[0]!.headers.get("ratelimit-limit")).toBe("3");
    expect(results[0]!.headers.get("ratelimit-remaining")).toBe("2");
    const limited = results[3]!;
    expect(limited.body.error.code).toBe("rate_limited");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("ratelimit-remaining")).toBe("0");
    expect((await call(me, "GET", "/api/v1/me", { cookie: w.agent2.cookie })).status).toBe(200);
    const text = await (await metricsRoute(new Request("http://x/api/metrics"))).text();
    expect(text).toMatch(/rate_limit_hits_total\{limiter="api-user"\} [1-9]/);
  });

  it("per IP, before authentication", async () => {
    setProcessEnv({ RATE_LIMIT_IP_PER_MIN: "2" });
    resetLimitersForTests();
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await call(me, "GET", "/api/v1/me", { ip: "10.20.30.40" })).status);
    expect(statuses).toEqual([401, 401, 429]);
    expect((await call(me, "GET", "/api/v1/me", { ip: "10.20.30.41" })).status).toBe(401);
  });

  it("search has its own, stricter budget that plain listing does not spend", async () => {
    setProcessEnv({ RATE_LIMIT_SEARCH_PER_MIN: "2" });
    resetLimitersForTests();
    const s = [];
    for (let i = 0; i < 3; i++) s.push((await api.listTickets(w.agent, { q: "printer" })).status);
    expect(s).toEqual([200, 200, 429]);
    expect((await api.listTickets(w.agent)).status).toBe(200);
  });
});

describe("feature flags and kill switches", () => {
  it("FEATURES_DISABLED switches a feature off with 503 feature_disabled, without the database", async () => {
    setProcessEnv({ FEATURES_DISABLED: "search" });
    const r = await api.listTickets(w.agent, { q: "printer" });
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: "feature_disabled", details: { feature: "search" } });
    expect((await api.listTickets(w.agent)).status).toBe(200);
  });

  it("admins set per-org flags; the change applies at once to that org only", async () => {
    const put = await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
      cookie: w.admin.cookie,
      body: { key: "search", enabled: false },
    });
    expect(put.status).toBe(200);
    expect(put.body.data.find((f: { key: string }) => f.key === "search")).toEqual({
      key: "search",
      enabled: false,
      source: "org",
    });
    expect((await api.listTickets(w.agent, { q: "x" })).status).toBe(503);
    expect((await api.listTickets(other.agent, { q: "x" })).status).toBe(200);
    await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
      cookie: w.admin.cookie,
      body: { key: "search", enabled: null },
    });
    expect((await api.listTickets(w.agent, { q: "x" })).status).toBe(200);
    expect((await call(flagsRoute.GET, "GET", "/api/v1/feature-flags", { cookie: w.agent.cookie })).status).toBe(403);
    for (const body of [{ key: "teleport", enabled: true }, { key: "search" }, { key: "search", enabled: "no" }]) {
      expect(
        (await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", { cookie: w.admin.cookie, body })).status,
      ).toBe(400);
    }
  });

  it("a global flag applies to every org unless the org overrides it", async () => {
    await unsafeWithSystem((tx) =>
      tx.execute(sql`insert into feature_flags (key, enabled, org_id) values ('search', false, null)`),
    );
    try {
      await new Promise((r) => setTimeout(r, 5_100)); // the per-org cache lives 5 s
      expect((await api.listTickets(other.agent, { q: "x" })).status).toBe(503);
      const list = await call(flagsRoute.GET, "GET", "/api/v1/feature-flags", { cookie: other.admin.cookie });
      expect(list.body.data.find((f: { key: string }) => f.key === "search")).toEqual({
        key: "search",
        enabled: false,
        source: "global",
      });
      await call(flagsRoute.PUT, "PUT", "/api/v1/feature-flags", {
        cookie: other.admin.cookie,
        body: { key: "search", enabled: true },
      });
      expect((await api.listTickets(other.agent, { q: "x" })).status).toBe(200);
    } finally {
      await unsafeWithSystem((tx) => tx.execute(sql`delete from feature_flags where org_id is null`));
    }
  });
});

describe("CSRF on cookie-authenticated mutations", () => {
  it("refuses a cross-site Origin or Sec-Fetch-Site; same-origin and bearer clients pass", async () => {
    const body = { name: "csrf-probe" };
    const evil = await call(createToken, "POST", "/api/v1/me/tokens", {
      cookie: w.agent.cookie,
      body,
      headers: { origin: "https://evil.example" },
    });
    expect(evil.status).toBe(403);
    expect(evil.body.error.details).toEqual({ reason: "csrf" });
    const site = await call(createToken, "POST", "/api/v1/me/tokens", {
      cookie: w.agent.cookie,
      body,
      headers: { "sec-fetch-site": "cross-site" },
    });
    expect(site.status).toBe(403);
    const same = await call(createToken, "POST", "/api/v1/me/tokens", {
      cookie: w.agent.cookie,
      body,
      headers: { origin: "http://localhost" },
    });
    expect(same.status).toBe(201);
    const bearer = await call(createToken, "POST", "/api/v1/me/tokens", {
      token: same.body.token,
      body,
      headers: { origin: "https://evil.example" },
    });
    expect(bearer.status).toBe(201);
  });
});

describe("two app processes share one budget through Redis", () => {
  const redisUp = () =>
    new Promise<boolean>((resolve) => {
      const s = net.connect(6379, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(true)));
      s.once("error", () => resolve(false));
    });
  const children: ChildProcess[] = [];
  afterAll(() => children.forEach((c) => c.kill("SIGTERM")));

  it("a user's 5-request budget is spent across both processes", async () => {
    if (!(await redisUp())) {
      console.log("skipped: no Redis on 127.0.0.1:6379 (the shared-budget test needs one)");
      return;
    }
    const root = path.resolve(import.meta.dirname, "../..");
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--import",
          "./scripts/lib/server-only-shim.mjs",
          "tests/fixtures/mini-app.ts",
          String(port),
        ],
        {
          cwd: root,
          env: {
            ...process.env,
            REDIS_URL: "redis://127.0.0.1:6379",
            RATE_LIMIT_USER_PER_MIN: "5",
            LOG_LEVEL: "silent",
          },
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      children.push(child);
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
        child.once("exit", (code) => reject(new Error(`mini app exited ${code}`)));
      });
    }
    const u = await (await import("../helpers/factories")).createUser(w.org, { role: "agent" });
    const cookie = await (await import("../helpers/factories")).sessionCookie(u);
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await fetch(`http://127.0.0.1:${ports[i % 2]}/api/v1/me`, { headers: { cookie } });
      statuses.push(r.status);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429, 429, 429]);
  }, 60_000);
});

describe("sign-in metrics", () => {
  it("counts sign-in attempts by outcome", async () => {
    const { POST: grant } = await import("../helpers/http");
    await call(grant, "POST", "/api/v1/auth/token", {
      body: { email: w.agent.email, password: "nope-nope-nope" },
      ip: "10.55.0.1",
    });
    await call(grant, "POST", "/api/v1/auth/token", {
      body: { email: w.agent.email, password: w.agent.password },
      ip: "10.55.0.1",
    });
    const text = await (await metricsRoute(new Request("http://x/api/metrics"))).text();
    expect(text).toMatch(/signin_attempts_total\{outcome="bad_credentials",via="api"\} [1-9]/);
    expect(text).toMatch(/signin_attempts_total\{outcome="success",via="api"\} [1-9]/);
  });
});
