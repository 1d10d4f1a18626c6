// The faults, at staggered times while the load runs: kill -9 of a worker caught mid-send, a
// PostgreSQL restart, an SMTP (and webhook receiver) outage, and Redis stopped and started again.
// Each records what it saw, for the verifier and the report.
import pg from "pg";
import { HttpClient } from "./client";
import type { Database, RedisServer } from "./infra";
import type { HookSink, MailSink } from "./receivers";
import { pollUntil, sleep } from "./procs";

export type JobRef = {
  id: string;
  name: string;
  state: string;
  retryCount: number;
  startedOn: string | null;
  completedOn: string | null;
};

export type WorkerKillResult = {
  at: number;
  pid: number;
  heldAtKill: number;
  activeAtKill: JobRef[];
  orphans: JobRef[];
  /** The orphans as they ended up, read when they were all done (or at the deadline). */
  orphansFinal: JobRef[];
  orphansDoneAt: number | null;
  restartedAt: number | null;
};

export type ReadyProbe = {
  app: string;
  first503At: number | null;
  healthz200During: boolean;
  back200At: number | null;
};
export type DbRestartResult =
  | { stopAt: number; stoppedAt: number; startAt: number; upAt: number | null; graceUntil: number; apps: ReadyProbe[] }
  | { skipped: string };
export type ProbeResult = { label: string; statuses: number[]; expectation: string; ok: boolean };
export type RedisResult = { stopAt: number; startAt: number | null; probes: ProbeResult[] } | { skipped: string };
export type OutageResult = { downAt: number; upAt: number };

export type FaultResults = {
  workerKill?: WorkerKillResult;
  dbRestart?: DbRestartResult;
  smtpOutage?: OutageResult;
  redis?: RedisResult;
  errors: string[];
};

export type FaultContext = {
  t0: number;
  durationMs: number;
  full: boolean;
  databaseUrl: string;
  apps: { name: string; url: string }[];
  db: Database;
  redis: RedisServer | null;
  redisSkipReason: string;
  mail: MailSink;
  hooks: HookSink;
  killWorker: () => number;
  restartWorker: () => Promise<void>;
  timeline: (what: string) => void;
};

const JOB_QUEUES = ["notify", "email", "webhook"];
export const REDIS_RECONNECT_MS = 8_000;

async function jobsQuery(url: string, text: string, values: unknown[]): Promise<JobRef[]> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3_000 });
  await c.connect();
  try {
    const r = await c.query<{
      id: string;
      name: string;
      state: string;
      retry_count: number;
      started_on: Date | null;
      completed_on: Date | null;
    }>(text, values);
    return r.rows.map((j) => ({
      id: j.id,
      name: j.name,
      state: j.state,
      retryCount: j.retry_count,
      startedOn: j.started_on?.toISOString() ?? null,
      completedOn: j.completed_on?.toISOString() ?? null,
    }));
  } finally {
    await c.end();
  }
}
const jobCols = "id, name, state::text as state, retry_count, started_on, completed_on";

export async function runFaults(
  ctx: FaultContext,
  results: FaultResults,
  background: Promise<unknown>[],
): Promise<void> {
  const at = (fraction: number) => sleep(Math.max(0, ctx.t0 + fraction * ctx.durationMs - Date.now()));
  const step = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      results.errors.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
      ctx.timeline(`${name} failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  };

  await at(0.12);
  await step("worker kill", async () => {
    results.workerKill = await killWorkerMidSend(ctx);
    background.push(watchOrphans(ctx, results.workerKill));
  });

  await at(0.35);
  await step("database restart", async () => {
    results.dbRestart = await restartDatabase(ctx);
  });

  await at(0.55);
  await step("smtp outage", async () => {
    const downAt = Date.now();
    await ctx.mail.down();
    ctx.hooks.setFailing(true);
    ctx.timeline("SMTP server stopped (connections refused); webhook receiver answering 503");
    await sleep(Math.max(8_000, 0.15 * ctx.durationMs));
    await ctx.mail.up();
    ctx.hooks.setFailing(false);
    ctx.timeline("SMTP server back on its port; webhook receiver answering 200");
    results.smtpOutage = { downAt, upAt: Date.now() };
  });

  await at(0.72);
  await step("redis stop", async () => {
    if (!ctx.redis) {
      results.redis = { skipped: ctx.redisSkipReason };
      ctx.timeline(`Redis fault skipped: ${ctx.redisSkipReason}`);
      return;
    }
    const probes: ProbeResult[] = [await signinProbe(ctx, "redis up: one budget across both apps", "shared")];
    const stopAt = Date.now();
    await ctx.redis.stop();
    ctx.timeline("Redis stopped");
    await sleep(500);
    probes.push(await signinProbe(ctx, "redis down: each app counts in its own memory", "per-process"));
    const r: RedisResult = { stopAt, startAt: null, probes };
    results.redis = r;
    await at(0.88);
    r.startAt = Date.now();
    await ctx.redis.start();
    ctx.timeline("Redis started again");
    // ioredis reconnects with an exponential backoff capped at 5 s (plus jitter).
    await sleep(REDIS_RECONNECT_MS);
    probes.push(await signinProbe(ctx, "redis back: one budget across both apps again", "shared"));
  });
}

/**
 * Slows the SMTP server down (every message held 3 s before its 250), waits until both workers
 * are in the middle of a send, and SIGKILLs worker-2. The jobs still active a few seconds later,
 * once worker-1's held sends have finished, are worker-2's orphans.
 */
async function killWorkerMidSend(ctx: FaultContext): Promise<WorkerKillResult> {
  const holdMs = 3_000;
  ctx.mail.setHold(holdMs);
  ctx.timeline(`SMTP server slowed down (${holdMs / 1000} s per message)`);
  await pollUntil(async () => ctx.mail.inFlight() >= 2, 15_000, 50);
  const heldAtKill = ctx.mail.inFlight();
  const pid = ctx.killWorker();
  const killedAt = Date.now();
  const activeAtKill = await jobsQuery(
    ctx.databaseUrl,
    `select ${jobCols} from pgboss.job where state = 'active' and name = any($1::text[])`,
    [JOB_QUEUES],
  );
  ctx.timeline(
    `kill -9 worker-2 (pid ${pid}) with ${heldAtKill} message(s) held in SMTP; ${activeAtKill.length} job(s) active`,
  );
  await sleep(holdMs + 2_500);
  const ids = activeAtKill.map((j) => j.id);
  const orphans = ids.length
    ? await jobsQuery(
        ctx.databaseUrl,
        `select ${jobCols} from pgboss.job where id = any($1::uuid[]) and state = 'active' and started_on <= to_timestamp($2::double precision / 1000)`,
        [ids, killedAt],
      )
    : [];
  ctx.mail.setHold(0);
  ctx.timeline(
    `SMTP speed back to normal; worker-2's orphaned job(s): ${orphans.map((o) => `${o.name} ${o.id.slice(0, 8)}`).join(", ") || "none"}`,
  );
  return {
    at: killedAt,
    pid,
    heldAtKill,
    activeAtKill,
    orphans,
    orphansFinal: [],
    orphansDoneAt: null,
    restartedAt: null,
  };
}

/**
 * Leaves worker-2 down until its orphans have been expired and completed by worker-1, or for a
 * while at most (an orchestrator would restart it), then starts it again. The orphans' final
 * state is read again after the drain (orphanStates).
 */
async function watchOrphans(ctx: FaultContext, k: WorkerKillResult): Promise<void> {
  const ids = k.orphans.map((o) => o.id);
  const restartBy = k.at + ctx.durationMs * 0.4;
  if (ids.length) {
    const done = await pollUntil(
      async () => {
        const rows = await orphanStates(ctx.databaseUrl, ids);
        k.orphansFinal = rows;
        return rows.length === ids.length && rows.every((r) => r.state === "completed");
      },
      Math.max(0, restartBy - Date.now()),
      1_000,
    );
    if (done) {
      k.orphansDoneAt = Date.now();
      ctx.timeline(
        `worker-2's orphaned job(s) completed by worker-1 (retry counts ${k.orphansFinal.map((o) => o.retryCount).join(", ")})`,
      );
    } else {
      ctx.timeline(
        `worker-2's orphaned job(s) not completed yet: ${k.orphansFinal.map((o) => `${o.name} ${o.state}`).join(", ")}; restarting worker-2 anyway`,
      );
    }
  }
  await ctx.restartWorker();
  k.restartedAt = Date.now();
  ctx.timeline("worker-2 started again");
}

export function orphanStates(url: string, ids: string[]): Promise<JobRef[]> {
  return jobsQuery(url, `select ${jobCols} from pgboss.job where id = any($1::uuid[])`, [ids]);
}

async function restartDatabase(ctx: FaultContext): Promise<DbRestartResult> {
  if (!ctx.db.restart) {
    ctx.timeline("database restart skipped: CLUSTER_DATABASE_URL is not a server this test can restart");
    return { skipped: "CLUSTER_DATABASE_URL is not a server this test can restart" };
  }
  const probes: ReadyProbe[] = ctx.apps.map((a) => ({
    app: a.name,
    first503At: null,
    healthz200During: false,
    back200At: null,
  }));
  const clients = ctx.apps.map((a) => new HttpClient(a.url, "127.0.0.3"));
  try {
    const stopAt = Date.now();
    ctx.timeline("PostgreSQL stopping (fast shutdown)");
    const stopping = ctx.db.restart.stop();
    const minDown = ctx.full ? 15_000 : 6_000;
    let stoppedAt = 0;
    void stopping.then(() => (stoppedAt = Date.now()));
    await pollUntil(
      async () => {
        await Promise.all(
          clients.map(async (c, i) => {
            const p = probes[i]!;
            const r = await c.request("GET", "/readyz", { timeoutMs: 5_000 });
            if (r.status === 503 && p.first503At === null) p.first503At = Date.now();
            if (p.first503At !== null && !p.healthz200During)
              p.healthz200During = (await c.request("GET", "/healthz", { timeoutMs: 5_000 })).status === 200;
          }),
        );
        return stoppedAt > 0 && probes.every((p) => p.first503At !== null) && Date.now() - stopAt >= minDown;
      },
      30_000,
      250,
    );
    await stopping;
    ctx.timeline(
      `PostgreSQL down; /readyz: ${probes.map((p) => `${p.app} ${p.first503At ? "503" : "never 503"}`).join(", ")}`,
    );
    const startAt = Date.now();
    await ctx.db.restart.start();
    ctx.timeline("PostgreSQL started again");
    const up = await pollUntil(
      async () => {
        await Promise.all(
          clients.map(async (c, i) => {
            const p = probes[i]!;
            if (p.back200At) return;
            if ((await c.request("GET", "/readyz", { timeoutMs: 5_000 })).status === 200) p.back200At = Date.now();
          }),
        );
        return probes.every((p) => p.back200At !== null);
      },
      60_000,
      250,
    );
    const upAt = up ? Date.now() : null;
    ctx.timeline(
      upAt
        ? `both apps ready again (/readyz 200) ${((upAt - startAt) / 1000).toFixed(1)} s after the start`
        : "apps did not become ready within 60 s",
    );
    return { stopAt, stoppedAt, startAt, upAt, graceUntil: (upAt ?? Date.now()) + 5_000, apps: probes };
  } finally {
    for (const c of clients) c.close();
  }
}

let probeSeq = 0;
/**
 * Sign-in failures for a fresh email from one (made-up) client address, alternating between the
 * two apps directly: with Redis they share one budget (the 6th attempt is refused wherever it
 * lands); without it each app counts in its own memory (the 6th passes, and both refuse once each
 * has seen 5).
 */
async function signinProbe(ctx: FaultContext, label: string, mode: "shared" | "per-process"): Promise<ProbeResult> {
  const n = ++probeSeq;
  const email = `probe-${n}-${Date.now()}@nowhere.test`;
  const clients = ctx.apps.map((a) => new HttpClient(a.url, "127.0.0.4"));
  const statuses: number[] = [];
  try {
    const attempt = async (i: number) =>
      (
        await clients[i % clients.length]!.request("POST", "/api/v1/auth/token", {
          body: { email, password: "wrong-password-for-probe" },
          headers: { "x-forwarded-for": `10.250.${n}.1` },
          timeoutMs: 10_000,
        })
      ).status;
    const total = mode === "shared" ? 7 : 12;
    for (let i = 0; i < total; i++) statuses.push(await attempt(i));
  } finally {
    for (const c of clients) c.close();
  }
  const ok =
    mode === "shared"
      ? statuses.slice(0, 5).every((s) => s === 401) && statuses.slice(5).every((s) => s === 429)
      : statuses.slice(0, 10).every((s) => s === 401) && statuses.slice(10).every((s) => s === 429);
  const expectation =
    mode === "shared" ? "401 ×5, then 429 on both apps" : "401 ×10 (each app counts its own 5), then 429 on both";
  ctx.timeline(`sign-in probe (${label}): ${statuses.join(" ")}`);
  return { label, statuses, expectation, ok };
}
