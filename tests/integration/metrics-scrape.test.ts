import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { GET as metricsRoute } from "../../src/app/api/metrics/route";
import { setSlaCheck } from "../helpers/sla-checks";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { route } from "../../src/server/http/route";
import { SCRAPE_CACHE_MS, setScrapeCacheForTests } from "../../src/server/health/scrape";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// Issue 18 item 12: the cross-org figures of /api/metrics are read at most once per scrape
// interval, and the endpoint has its own per-IP rate limit. Also the gauges the alerts need
// (readiness_ok, db_up, sla_scan_lag_seconds, db_errors_total) with real values.

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterEach(() => {
  setProcessEnv({ METRICS_TOKEN: "", RATE_LIMIT_METRICS_PER_MIN: "" });
  resetLimitersForTests();
  setScrapeCacheForTests(SCRAPE_CACHE_MS);
});

const scrape = (ip = "127.0.0.1", headers: Record<string, string> = {}) =>
  metricsRoute(new Request("http://x/api/metrics", { headers: { "x-forwarded-for": ip, ...headers } }));

function sample(text: string, series: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

const setNextCheck = (ticketId: string, secondsAgo: number) =>
  setSlaCheck(ticketId, sql`now() - ${`${secondsAgo} seconds`}::interval`);

describe("/api/metrics database figures", () => {
  it("a burst of scrapes reads the database once; within the interval values are cached, after it they are fresh", async () => {
    setScrapeCacheForTests(SCRAPE_CACHE_MS);
    const t = await newTicket(w.customer);
    await setNextCheck(t.id, 0);
    const before = sample(await (await scrape()).text(), "metrics_database_reads_total") ?? 0;

    const burst = await Promise.all(Array.from({ length: 20 }, () => scrape()));
    expect(burst.map((r) => r.status)).toEqual(Array(20).fill(200));
    const texts = await Promise.all(burst.map((r) => r.text()));
    const after = sample(texts.at(-1)!, "metrics_database_reads_total")!;
    expect(after - before).toBeLessThanOrEqual(1); // the first scrape above may already have filled the cache

    // A ticket whose SLA check is 10 minutes overdue: not visible while the cache is fresh…
    await setNextCheck(t.id, 600);
    const cached = await (await scrape()).text();
    expect(sample(cached, "sla_scan_lag_seconds")!).toBeLessThan(300);
    expect(sample(cached, "metrics_database_reads_total")).toBe(after);

    // …and read again once the interval has passed (shortened here instead of waiting 15 s).
    setScrapeCacheForTests(0);
    const fresh = await (await scrape()).text();
    expect(sample(fresh, "sla_scan_lag_seconds")!).toBeGreaterThanOrEqual(600);
    expect(sample(fresh, "sla_scan_lag_seconds")!).toBeLessThan(700);
    expect(sample(fresh, "metrics_database_reads_total")).toBe(after + 1);
    await setSlaCheck(t.id, null);
  });

  it("exposes readiness, database state, SLA scan lag and dead-letter series from zero", async () => {
    setScrapeCacheForTests(0);
    await unsafeWithSystem((tx) => tx.execute(sql`delete from sla_checks`));
    const text = await (await scrape()).text();
    expect(sample(text, "readiness_ok")).toBe(1);
    expect(sample(text, "db_up")).toBe(1);
    expect(sample(text, "sla_scan_lag_seconds")).toBe(0);
    for (const q of ["email", "webhook", "notify"])
      expect(sample(text, `jobs_dead_letters{queue="${q}"}`)).toBeGreaterThanOrEqual(0);
  });

  it("workers_alive counts job workers with a heartbeat in the last minute, on any node", async () => {
    setScrapeCacheForTests(0);
    await unsafeWithSystem((tx) => tx.execute(sql`delete from worker_heartbeats`));
    expect(sample(await (await scrape()).text(), "workers_alive")).toBe(0);
    await unsafeWithSystem((tx) =>
      tx.execute(sql`insert into worker_heartbeats (id, host, pid, beat_at) values
        ('w-live-1', 'node-a', 101, now() - interval '10 seconds'),
        ('w-live-2', 'node-b', 102, now()),
        ('w-gone', 'node-c', 103, now() - interval '5 minutes')`),
    );
    expect(sample(await (await scrape()).text(), "workers_alive")).toBe(2);
    await unsafeWithSystem((tx) => tx.execute(sql`delete from worker_heartbeats`));
  });

  it("db_errors_total counts a request PostgreSQL refused (500) as kind=query, and not a 4xx", async () => {
    const divide = route({ auth: "any" }, async (ctx) => {
      await ctx.tx.execute(sql`select 1 / 0`);
      return { ok: true };
    });
    const notFound = route({ auth: "any" }, async (ctx) => {
      await ctx.tx.execute(sql`select 'not-a-uuid'::uuid`);
      return { ok: true };
    });
    const before = sample(await (await scrape()).text(), 'db_errors_total{kind="query"}')!;
    expect(before).toBeGreaterThanOrEqual(0);
    expect((await call(divide, "GET", "/api/v1/x", { cookie: w.agent.cookie })).status).toBe(500);
    expect((await call(notFound, "GET", "/api/v1/x", { cookie: w.agent.cookie })).status).toBe(400);
    const text = await (await scrape()).text();
    expect(sample(text, 'db_errors_total{kind="query"}')).toBe(before + 1);
    expect(sample(text, 'db_errors_total{kind="unavailable"}')).toBe(0);
  });
});

describe("/api/metrics rate limit", () => {
  it("RATE_LIMIT_METRICS_PER_MIN per client IP: then 429 with Retry-After, counted; other addresses unaffected", async () => {
    setProcessEnv({ RATE_LIMIT_METRICS_PER_MIN: "3" });
    resetLimitersForTests();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push(await scrape("10.9.0.1"));
    expect(statuses.map((r) => r.status)).toEqual([200, 200, 200, 429]);
    const limited = await statuses[3]!.json();
    expect(limited.error.code).toBe("rate_limited");
    expect(Number(statuses[3]!.headers.get("retry-after"))).toBeGreaterThan(0);
    const other = await scrape("10.9.0.2");
    expect(other.status).toBe(200);
    expect(await other.text()).toMatch(/rate_limit_hits_total\{limiter="api-metrics"\} [1-9]/);
  });

  it("is counted before the token check, so the token cannot be guessed at speed", async () => {
    setProcessEnv({ RATE_LIMIT_METRICS_PER_MIN: "2", METRICS_TOKEN: "metrics-secret-456" });
    resetLimitersForTests();
    const wrong = { authorization: "Bearer guess" };
    expect((await scrape("10.9.1.1", wrong)).status).toBe(401);
    expect((await scrape("10.9.1.1", wrong)).status).toBe(401);
    expect((await scrape("10.9.1.1", { authorization: "Bearer metrics-secret-456" })).status).toBe(429);
    expect((await scrape("10.9.1.2", { authorization: "Bearer metrics-secret-456" })).status).toBe(200);
  });
});
