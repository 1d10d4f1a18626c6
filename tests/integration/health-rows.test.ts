// /api/health tells the truth about each dependency (issue 21 §3-4): job workers (heartbeat and
// queue lag), Redis when REDIS_URL is set, the mail transport. A real worker, a real redis-server.
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { GET as healthRoute } from "../../src/app/api/health/route";
import { GET as readyz } from "../../src/app/readyz/route";
import { closeDb, pool } from "../../src/server/db/client";
import { setProcessEnv } from "../../src/server/env";
import { beatHeartbeat } from "../../src/server/jobs/heartbeat";
import { startWorker } from "../../src/server/worker/worker";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";

type Row = { ok: boolean; detail: string };
type Body = {
  status: string;
  reasons: string[];
  jobs: Row & { workers: number };
  redis?: Row;
  mail: Row & { transport: string };
  search: Row;
};

async function health(): Promise<{ status: number; body: Body }> {
  const r = await healthRoute();
  return { status: r.status, body: (await r.json()) as Body };
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

const clearBeats = () => pool().query("delete from worker_heartbeats");

afterEach(async () => {
  setProcessEnv({ REDIS_URL: "", SMTP_URL: "", NODE_ENV: "test" });
  resetLimitersForTests();
  await clearBeats();
});

describe("/api/health: job workers", () => {
  it("is degraded when no worker has beaten within a minute, ok while one beats, and a real worker beats at start and removes its row on stop", async () => {
    let h = await health();
    expect(h.status).toBe(503);
    expect(h.body.status).toBe("degraded");
    expect(h.body.jobs).toMatchObject({ ok: false, workers: 0 });
    expect(h.body.reasons.join("\n")).toMatch(/jobs: no job worker has beaten within 60 s \(none running\)/);
    // /readyz stays database-only.
    expect((await readyz()).status).toBe(200);

    // A beat two minutes old is a dead worker.
    await pool().query(
      "insert into worker_heartbeats (id, host, pid, beat_at) values ('gone', 'h', 1, now() - interval '2 minutes')",
    );
    h = await health();
    expect(h.body.jobs.ok).toBe(false);
    expect(h.body.jobs.detail).toMatch(/last 12\d s ago/);

    const worker = await startWorker({ url: process.env.DATABASE_URL!, schedule: false });
    try {
      h = await health();
      expect(h.body.jobs).toMatchObject({ ok: true, workers: 1 });
      expect(h.body.reasons.filter((r) => r.startsWith("jobs:"))).toEqual([]);
    } finally {
      const report = await worker.stop(2_000);
      expect(report).toEqual({ jobs: 0, cut: [] });
    }
    const rows = await pool().query("select id from worker_heartbeats where id <> 'gone'");
    expect(rows.rowCount).toBe(0);
  });

  it("is degraded when the oldest waiting job is late, even with a worker beating", async () => {
    await beatHeartbeat("test-beat");
    await pool().query(
      `insert into pgboss.job (name, data, start_after, created_on) values ('notify', '{}'::jsonb, now() - interval '5 minutes', now() - interval '5 minutes')`,
    );
    const h = await health();
    expect(h.status).toBe(503);
    expect(h.body.jobs.ok).toBe(false);
    expect(h.body.jobs.detail).toMatch(/the oldest waiting job has waited (29\d|30\d) s \(late after 60 s\)/);
    await pool().query("delete from pgboss.job where name = 'notify'");
    expect((await health()).body.jobs.ok).toBe(true);
  });
});

describe("/api/health: database down", () => {
  it("answers 503 naming the database, and marks the rows it reads from the database not checked", async () => {
    const good = process.env.DATABASE_URL!;
    await closeDb();
    setProcessEnv({ DATABASE_URL: "postgres://nobody@127.0.0.1:9/none" });
    try {
      const r = await healthRoute();
      expect(r.status).toBe(503);
      const body = (await r.json()) as Body & { db: { ok: boolean }; queue: { ok: boolean } };
      expect(body.status).toBe("degraded");
      expect(body.db.ok).toBe(false);
      expect(body.queue).toEqual({ ok: false });
      expect(body.reasons[0]).toMatch(/^db: /);
      for (const row of [body.jobs, body.search])
        expect(row).toEqual({ ok: false, detail: "not checked: database unavailable" });
      expect(body.reasons).toContain("jobs: not checked: database unavailable");
      expect(body.reasons).toContain("search: not checked: database unavailable");
      // Rows that need no database are still reported.
      expect(body.mail).toMatchObject({ ok: true, transport: "files" });
    } finally {
      await closeDb();
      setProcessEnv({ DATABASE_URL: good });
    }
  });
});

describe("/api/health: Redis and mail", () => {
  let redis: ChildProcess | undefined;
  afterAll(() => void redis?.kill("SIGKILL"));

  it("reports Redis when REDIS_URL is set: ok while it answers, degraded with the reason once it is down", async () => {
    await beatHeartbeat("test-beat");
    expect((await health()).body.redis).toBeUndefined();

    const port = await freePort();
    redis = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: "ignore",
    });
    setProcessEnv({ REDIS_URL: `redis://127.0.0.1:${port}` });
    resetLimitersForTests();
    let h = await health();
    for (let i = 0; i < 50 && !h.body.redis?.ok; i++) {
      await new Promise((r) => setTimeout(r, 100));
      h = await health();
    }
    expect(h.body.redis).toEqual({ ok: true, detail: "connected" });
    expect(h.status).toBe(200);

    redis.kill("SIGKILL");
    await new Promise((r) => redis!.once("exit", r));
    h = await health();
    expect(h.status).toBe(503);
    expect(h.body.status).toBe("degraded");
    expect(h.body.redis?.ok).toBe(false);
    expect(h.body.reasons.join("\n")).toMatch(
      /redis: unreachable \(.+\): rate limits are per process until it is back/,
    );
  });

  it("a REDIS_URL that never answered is degraded too", async () => {
    await beatHeartbeat("test-beat");
    setProcessEnv({ REDIS_URL: "redis://127.0.0.1:9" });
    const h = await health();
    expect(h.body.redis?.ok).toBe(false);
    expect(h.body.redis?.detail).toMatch(/rate limits are per process/);
  });

  it("names the mail transport; a file spool is degraded in production", async () => {
    await beatHeartbeat("test-beat");
    let h = await health();
    expect(h.body.mail).toMatchObject({ ok: true, transport: "files" });
    expect(h.status).toBe(200);
    setProcessEnv({ SMTP_URL: "smtp://127.0.0.1:2525" });
    expect((await health()).body.mail).toEqual({ ok: true, transport: "smtp", detail: "SMTP 127.0.0.1:2525" });
    setProcessEnv({ SMTP_URL: "", NODE_ENV: "production" });
    h = await health();
    expect(h.body.mail.ok).toBe(false);
    expect(h.body.reasons.join("\n")).toMatch(
      /mail: SMTP_URL unset: email is written to files in .*, nobody receives it/,
    );
  });
});
