// npm run test:cluster: Beacon as a small cluster, under load and under faults (issue 7, SPEC §10).
//
// Two app processes (the production build behind the project's server) and two job workers on one
// PostgreSQL and one Redis, behind a round-robin proxy written here. Virtual agents and customers
// create, reply and update for a fixed time while the test kills a worker with -9, restarts
// PostgreSQL, takes SMTP and the webhook receiver down and up, and stops and starts Redis. Meanwhile
// customers' mail streams in to a support address (SMTP to the app nodes' receivers, and the
// provider webhook), retried like an MTA retries what is refused for now.
// Afterwards every acknowledged write must be stored exactly once, ticket numbers gap-free, audit
// chains valid, each notification delivered once, each accepted inbound message one ticket or
// comment, and no 5xx answered except clean 503s while the database was down. Everything runs on 127.0.0.1 and is torn down whatever happens.
//
//   npm run test:cluster                        small: ~60 s of load, 2 orgs, 12 users (CI)
//   npm run test:cluster -- --full              5 minutes, 3 orgs, 24 users, production job timings
//   npm run test:cluster -- --duration 90s --orgs 3 --agents 3 --customers 5 --keep
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import PgBoss from "pg-boss";
import { buildIfNeeded } from "./lib/needs-build";
import { setProcessEnv } from "../src/server/env";
import { prepareDatabase } from "../src/server/deploy/prepare-database";
import { closeDb } from "../src/server/db/client";
import { BOSS_SCHEMA } from "../src/server/jobs/boss";
import { QUEUES } from "../src/server/jobs/queues";
import { HttpClient } from "./cluster/client";
import { readInboundState, runInboundMail, type MailLedger } from "./cluster/inbound";
import { orphanStates, runFaults, type FaultResults } from "./cluster/faults";
import { startDatabase, startRedis, type RedisServer } from "./cluster/infra";
import { newLedger, runLoad } from "./cluster/load";
import { killAllChildrenNow, pollUntil, spawnNodeScript, type Child } from "./cluster/procs";
import { freePort } from "./lib/local-infra";
import { startProxy } from "./cluster/proxy";
import { startHookSink, startMailSink } from "./cluster/receivers";
import { startSampler } from "./cluster/sampler";
import { printChecks, requestTable, writesLine } from "./cluster/report";
import { CLUSTER_SLA, CLUSTER_SLA_FULL, createClusterOrgs, type ClusterOrg } from "./cluster/setup";
import { quiescentSnapshot } from "./cluster/snapshot";
import { verify, type Check } from "./cluster/verify";

type Options = {
  full: boolean;
  durationMs: number;
  orgs: number;
  agents: number;
  customers: number;
  keep: boolean;
  thinkMs: [number, number];
};

function parseArgs(argv: string[]): Options {
  const full = argv.includes("--full");
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const int = (flag: string, def: number) => {
    const v = value(flag);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) usage(`${flag} must be a positive integer`);
    return n;
  };
  const d = value("--duration");
  let durationMs = full ? 300_000 : 60_000;
  if (d !== undefined) {
    const m = /^(\d+)(ms|s|m)?$/.exec(d);
    if (!m) usage("--duration takes e.g. 60s, 5m or 90");
    durationMs = Number(m[1]) * (m[2] === "m" ? 60_000 : m[2] === "ms" ? 1 : 1_000);
    if (durationMs < 30_000) usage("--duration must be at least 30s (the faults need the time)");
  }
  for (const a of argv) {
    if (a.startsWith("--") && !["--full", "--keep", "--duration", "--orgs", "--agents", "--customers"].includes(a))
      usage(`unknown option ${a}`);
  }
  return {
    full,
    durationMs,
    orgs: int("--orgs", full ? 3 : 2),
    agents: int("--agents", full ? 3 : 2),
    customers: int("--customers", full ? 5 : 4),
    keep: argv.includes("--keep"),
    // Paced so that the notification email stays within what two workers deliver to the test's
    // SMTP server (about 13 messages/s: one connection per message, and smtp-server's 100 ms
    // greeting delay); beyond that the backlog only grows and the drain takes minutes.
    thinkMs: full ? [1000, 3000] : [300, 900],
  };
}

function usage(problem: string): never {
  console.error(
    `test:cluster: ${problem}\nusage: npm run test:cluster [-- --full] [--duration 60s] [--orgs N] [--agents N] [--customers N] [--keep]`,
  );
  process.exit(2);
}

const opts = parseArgs(process.argv.slice(2));
const started = Date.now();
const root = process.cwd();
const cleanups: { name: string; fn: () => Promise<unknown> }[] = [];
let cleaning: Promise<void> | undefined;
let workDir = "";
let checks: Check[] = [];

function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const { name, fn } of cleanups.reverse()) {
      await Promise.race([fn(), new Promise((r) => setTimeout(r, 20_000))]).catch((err: unknown) =>
        console.error(`cluster cleanup (${name}): ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  })();
  return cleaning;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    console.error(`\ntest:cluster: ${signal}, stopping everything…`);
    void cleanup().then(() => {
      if (workDir) console.error(`Logs and data kept in ${workDir}`);
      process.exit(130);
    });
  });
}
process.on("exit", () => killAllChildrenNow());

let exitCode = 1;
try {
  exitCode = await run();
} catch (err) {
  console.error(`test:cluster: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
const passed = checks.filter((c) => c.ok).length;
const failed = checks.length - passed + (exitCode !== 0 && checks.every((c) => c.ok) ? 1 : 0);
fs.mkdirSync("reports", { recursive: true });
fs.writeFileSync(
  "reports/cluster.json",
  JSON.stringify({ passed, failed, scale: opts.full ? "full" : "small", durationMs: opts.durationMs, checks }, null, 2),
);
if (workDir && (opts.keep || exitCode !== 0)) console.log(`Logs and data kept in ${workDir}`);
else if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
console.log(
  `cluster: ${passed} checks passed, ${failed} failed (${opts.full ? "full" : "small"} scale, ${((Date.now() - started) / 1000).toFixed(0)} s wall)`,
);
process.exit(exitCode === 0 && failed === 0 ? 0 : 1);

async function run(): Promise<number> {
  const say = (line: string) => console.log(`cluster: ${line}`);
  const users = opts.orgs * (opts.agents + opts.customers);
  say(
    `${opts.full ? "full" : "small"} scale: ${opts.orgs} orgs, ${users} virtual users (${opts.agents} agents + ${opts.customers} customers per org) for ${opts.durationMs / 1000} s`,
  );
  await buildIfNeeded({ log: (l) => say(l) });

  workDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-cluster-"));
  const logDir = path.join(workDir, "logs");
  fs.mkdirSync(logDir);
  const db = await startDatabase(workDir, () => undefined);
  cleanups.push({ name: "database", fn: () => db.close() });
  say(db.describe);

  const [appPort1, appPort2] = [await freePort(), await freePort()];
  // Each web node also runs the inbound SMTP receiver (as npm start does), on a port of its own.
  const [smtpPort1, smtpPort2] = [await freePort(), await freePort()];
  const apps = [
    { name: "app-1", host: "127.0.0.1", port: appPort1 },
    { name: "app-2", host: "127.0.0.1", port: appPort2 },
  ];
  const proxy = await startProxy(apps);
  cleanups.push({ name: "proxy", fn: () => proxy.close() });
  const secret = randomBytes(32).toString("base64url");
  setProcessEnv({
    DATABASE_URL: db.url,
    NODE_ENV: "production",
    NEXTAUTH_SECRET: secret,
    NEXTAUTH_URL: proxy.url,
    LOG_LEVEL: "warn",
    BEACON_EMBEDDED_DB: "",
  });
  cleanups.push({ name: "harness pool", fn: () => closeDb() });
  const migrated = await prepareDatabase(db.url);
  say(`migrated (${migrated.applied.length} migrations) and job queues ready`);

  let redis: RedisServer | null = null;
  let redisSkip = "";
  redis = await startRedis(logDir, root);
  if (redis) {
    const r = redis;
    cleanups.push({ name: "redis", fn: () => r.close() });
    say(`redis-server ${redis.version} on ${redis.url} (private, no persistence)`);
  } else {
    redisSkip =
      "no redis-server binary on this machine; the apps run with in-memory limits and the Redis fault is skipped";
    say(`NOTICE: ${redisSkip}`);
  }

  const secrets = new Map<string, string>();
  const mail = await startMailSink();
  cleanups.push({ name: "smtp", fn: () => mail.close() });
  const hooks = await startHookSink((orgId) => secrets.get(orgId));
  cleanups.push({ name: "webhook receiver", fn: () => hooks.close() });
  say(
    `SMTP server ${mail.url()}, webhook receiver ${hooks.url}, proxy ${proxy.url} → ${apps.map((a) => a.port).join(", ")}`,
  );

  const childEnv = (extra: Record<string, string>): NodeJS.ProcessEnv => {
    const e: NodeJS.ProcessEnv = { ...process.env };
    for (const k of [
      "DATABASE_URL",
      "REDIS_URL",
      "SMTP_URL",
      "BEACON_EMBEDDED_DB",
      "FEATURES_DISABLED",
      "METRICS_TOKEN",
      "DEMO_PASSWORD",
    ])
      delete e[k];
    return {
      ...e,
      NODE_ENV: "production",
      DATABASE_URL: db.url,
      NEXTAUTH_SECRET: secret,
      NEXTAUTH_URL: proxy.url,
      TRUST_PROXY_HOPS: "1",
      SMTP_URL: mail.url(),
      MAIL_FROM: "Beacon cluster test <cluster@beacon.localhost>",
      // The webhook receiver listens on loopback, which the outbound guard refuses unless allowed (decision 021).
      OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8",
      LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
      BEACON_DATA_DIR: path.join(workDir, "data"),
      ...(redis ? { REDIS_URL: redis.url } : {}),
      ...extra,
    };
  };
  const children: Child[] = [];
  cleanups.push({ name: "app and worker processes", fn: () => Promise.all(children.map((c) => c.stop())) });
  const startChild = (name: string, script: string, extra: Record<string, string>, ready: RegExp) => {
    const c = spawnNodeScript({ name, script, env: childEnv(extra), cwd: root, logDir });
    children.push(c);
    return c.waitForLine(ready, 120_000).then(() => c);
  };
  const WORKER_READY = /Beacon worker running/;
  const [app1, app2, worker1] = await Promise.all([
    startChild(
      "app-1",
      "scripts/cluster/app-node.ts",
      { PORT: String(appPort1), INBOUND_SMTP_HOST: "127.0.0.1", INBOUND_SMTP_PORT: String(smtpPort1) },
      /cluster app listening/,
    ),
    startChild(
      "app-2",
      "scripts/cluster/app-node.ts",
      { PORT: String(appPort2), INBOUND_SMTP_HOST: "127.0.0.1", INBOUND_SMTP_PORT: String(smtpPort2) },
      /cluster app listening/,
    ),
    startChild("worker-1", "scripts/worker.ts", {}, WORKER_READY),
  ]);
  let worker2 = await startChild("worker-2", "scripts/worker.ts", {}, WORKER_READY);
  say(
    `app-1 pid ${app1.pid}, app-2 pid ${app2.pid}, worker-1 pid ${worker1.pid}, worker-2 pid ${worker2.pid}; logs in ${logDir}`,
  );
  for (const a of apps) {
    const c = new HttpClient(`http://${a.host}:${a.port}`, "127.0.0.3");
    const ok = await pollUntil(async () => (await c.request("GET", "/readyz")).status === 200, 30_000);
    c.close();
    if (!ok) throw new Error(`${a.name} never became ready`);
  }

  const run = randomBytes(3).toString("hex");
  const orgs: ClusterOrg[] = await createClusterOrgs({
    proxyUrl: proxy.url,
    databaseUrl: db.url,
    run,
    orgs: opts.orgs,
    agents: opts.agents,
    customers: opts.customers,
    webhookUrl: hooks.url,
    sla: opts.full ? CLUSTER_SLA_FULL : CLUSTER_SLA,
  });
  for (const o of orgs) secrets.set(o.id, o.webhook.secret);
  say(
    `set up ${orgs.map((o) => o.slug).join(", ")} through the API (users, tokens, SLA targets of ${opts.full ? "2-10" : "1-3"} min with a 1 min warning, webhook)`,
  );
  // The org customers write to: its own, so the load's invariants (every ticket asked for by a
  // virtual user) stay exact; long SLA targets, so its tickets add no SLA traffic to the run.
  const long = { firstResponseMinutes: 600, resolveMinutes: 6000 };
  const [mailOrg] = await createClusterOrgs({
    proxyUrl: proxy.url,
    databaseUrl: db.url,
    run: `${run}m`,
    orgs: 1,
    agents: 0,
    customers: 0,
    webhookUrl: hooks.url,
    sla: { urgent: long, high: long, normal: long, low: long },
  });
  secrets.set(mailOrg!.id, mailOrg!.webhook.secret);
  const mailTarget = await mailSetup(proxy.url, mailOrg!.admin.token, `support@${mailOrg!.slug}.test`, [
    smtpPort1,
    smtpPort2,
  ]);
  say(
    `inbound mail to ${mailTarget.support} (${mailOrg!.slug}): SMTP receivers on ${smtpPort1}, ${smtpPort2} (app-1, app-2) and the provider webhook through the proxy`,
  );

  if (!opts.full) {
    // CI has minutes, not the production 2 minutes of job expiry plus a minute of maintenance:
    // a killed worker's jobs expire after 15 s here, and expiry is checked every 3 s. The
    // mechanism (expire → retry on another worker) is the same; --full keeps production timings.
    const supervisor = new PgBoss({
      connectionString: db.url,
      schema: BOSS_SCHEMA,
      supervise: true,
      schedule: false,
      maintenanceIntervalSeconds: 3,
      max: 2,
    });
    supervisor.on("error", () => undefined);
    await supervisor.start();
    cleanups.push({ name: "job supervisor", fn: () => supervisor.stop({ graceful: false, wait: true }) });
    // email-inbound too: an apply job held by the killed worker, or one whose failure could not be
    // recorded while the database was down, is expired and applied by the other worker.
    for (const q of [QUEUES.notify, QUEUES.email, QUEUES.webhook, QUEUES.inboundEmail])
      await supervisor.updateQueue(q.name, { name: q.name, expireInSeconds: 15 });
    // The SLA scan runs every minute by cron; here also every 10 s, so warnings and breaches come
    // while the short run lasts (and two workers' scans overlap, which they must do safely).
    const scans = setInterval(() => void supervisor.send(QUEUES.slaScan.name, {}).catch(() => undefined), 10_000);
    cleanups.push({ name: "extra SLA scans", fn: async () => clearInterval(scans) });
    say(
      "job timings compressed for the small run: expiry 15 s for notify/email/webhook/email-inbound, maintenance every 3 s, an SLA scan every 10 s",
    );
  }

  const ledger = newLedger();
  const faults: FaultResults = { errors: [] };
  const background: Promise<unknown>[] = [];
  const t0 = Date.now();
  const timeline: string[] = [];
  const mark = (what: string) => {
    const line = `+${((Date.now() - t0) / 1000).toFixed(1).padStart(5)} s  ${what}`;
    timeline.push(line);
    say(line);
  };
  const sampler = startSampler(db.url, t0, mail, hooks);
  cleanups.push({ name: "sampler", fn: async () => sampler.stop() });
  mark(`load started: ${users} virtual users through the proxy`);
  const stop = { stopped: false };
  const load = runLoad(
    { proxyUrl: proxy.url, orgs, durationMs: opts.durationMs, thinkMs: opts.thinkMs, requestTimeoutMs: 30_000 },
    ledger,
    stop,
  );
  // About one message a second (two in the full run) for as long as the load runs; what is refused
  // for now is sent again until 20 s after the load ends.
  const mailLedger: MailLedger = { sends: [] };
  const mailStop = { stopped: false };
  const mailDeadline = t0 + opts.durationMs + 20_000;
  const mailRun = runInboundMail(
    mailTarget,
    { perSecond: opts.full ? 2 : 1, deadline: () => mailDeadline, stop: mailStop, run },
    mailLedger,
  );
  void load.then(
    () => (mailStop.stopped = true),
    () => (mailStop.stopped = true),
  );
  const faultRun = runFaults(
    {
      t0,
      durationMs: opts.durationMs,
      full: opts.full,
      databaseUrl: db.url,
      apps: apps.map((a) => ({ name: a.name, url: `http://${a.host}:${a.port}` })),
      db,
      redis,
      redisSkipReason: redisSkip,
      mail,
      hooks,
      killWorker: () => {
        worker2.signal("SIGKILL");
        return worker2.pid;
      },
      restartWorker: async () => {
        worker2 = await startChild("worker-2-restarted", "scripts/worker.ts", {}, WORKER_READY);
      },
      timeline: mark,
    },
    faults,
    background,
  );
  await load;
  mark(`load finished: ${ledger.calls.length} requests`);
  await faultRun;
  await Promise.all(background);
  await mailRun;
  const mailAccepted = mailLedger.sends.filter((m) => m.outcome === "accepted").length;
  mark(
    `inbound mail: ${mailLedger.sends.length} messages sent, ${mailAccepted} accepted; waiting for them to be applied…`,
  );
  // Long enough for an orphaned apply job to expire and run again: 15 s here, 5 minutes in --full.
  const inboundState = await readInboundState(db.url, mailOrg!.id, opts.full ? 420_000 : 60_000).catch(
    (err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }),
  );
  if (!("error" in inboundState))
    mark(
      `inbound mail applied (${inboundState.pending} still waiting after ${(inboundState.waitedMs / 1000).toFixed(1)} s)`,
    );

  const unexpectedExits = children.filter((c) => !c.isRunning() && c.name !== "worker-2");
  for (const c of unexpectedExits)
    faults.errors.push(`${c.name} exited during the run; last lines:\n${c.tail(15).join("\n")}`);

  mark("waiting for the notification queues to drain…");
  const snap = await quiescentSnapshot(db.url, opts.full ? 600_000 : 120_000, (n) =>
    mark(n < 0 ? "database not answering yet" : `${n} notification job(s) still pending`),
  );
  mark(
    snap.drained
      ? "queues drained; snapshot taken"
      : `queues NOT drained (${snap.pendingJobs} pending); verifying what is there`,
  );
  sampler.stop();

  const k = faults.workerKill;
  if (k?.orphans.length)
    k.orphansFinal = await orphanStates(
      db.url,
      k.orphans.map((o) => o.id),
    );

  const admin = new HttpClient(proxy.url, "127.0.0.5");
  const auditVerify = [];
  for (const o of orgs) {
    const r = await admin.request("GET", "/api/v1/audit/verify", { token: o.admin.token, timeoutMs: 60_000 });
    const b = (r.body ?? {}) as { valid?: boolean; checked?: number; firstBrokenSeq?: number | null };
    auditVerify.push({
      slug: o.slug,
      status: r.status,
      valid: b.valid,
      checked: b.checked,
      firstBrokenSeq: b.firstBrokenSeq,
    });
  }
  admin.close();

  // The mail org's tickets were asked for by mail, not by the virtual users: its own check judges them.
  const loadSnap = {
    ...snap,
    tickets: snap.tickets.filter((t) => t.org_id !== mailOrg!.id),
    comments: snap.comments.filter((c) => c.org_id !== mailOrg!.id),
  };
  const result = verify({
    ledger,
    snap: loadSnap,
    orgs,
    mail,
    hooks,
    faults,
    auditVerify,
    proxyErrors: proxy.errors,
    hangMs: 15_000,
    inbound: { sends: mailLedger.sends, state: inboundState },
  });
  checks = result.checks;
  if (faults.errors.length)
    checks.push({
      name: "the harness ran every fault and every process stayed up",
      ok: false,
      detail: `${faults.errors.length} problem(s)`,
      evidence: faults.errors,
    });

  console.log("\nNotification jobs waiting, and deliveries accepted so far:");
  for (const line of sampler.lines()) console.log(`  ${line}`);
  console.log("\nRequests through the proxy (all virtual users):");
  for (const line of requestTable(ledger)) console.log(`  ${line}`);
  console.log(`  ${writesLine(ledger)}`);
  console.log(
    `  inbound mail: ${mailLedger.sends.length} sent (${mailLedger.sends.filter((m) => m.via === "smtp").length} SMTP, ${mailLedger.sends.filter((m) => m.via === "webhook").length} webhook), ${mailAccepted} accepted, ${mailLedger.sends.reduce((n, m) => n + m.attempts, 0)} attempts`,
  );
  console.log(
    `  proxy: ${[...proxy.served].map(([n, c]) => `${n} ${c}`).join(", ")}; SMTP accepted ${mail.accepted.length} messages; webhook receiver ${hooks.hits.length} requests`,
  );
  console.log("\nChecks:");
  printChecks(checks, result.info);
  return checks.every((c) => c.ok) ? 0 : 1;
}

/** The mail org's support address and provider-webhook secret, made through the API as an admin would. */
async function mailSetup(proxyUrl: string, adminToken: string, support: string, smtpPorts: number[]) {
  const http = new HttpClient(proxyUrl, "127.0.0.6");
  try {
    const a = await http.request("POST", "/api/v1/email/addresses", {
      token: adminToken,
      body: { address: support, displayName: "Support", isDefault: true },
    });
    if (a.status !== 201 && a.status !== 200)
      throw new Error(`setup: support address answered ${a.status || a.error} ${JSON.stringify(a.body).slice(0, 300)}`);
    const s = await http.request("POST", "/api/v1/email/inbound-secret", { token: adminToken });
    if (s.status !== 201)
      throw new Error(`setup: inbound secret answered ${s.status || s.error} ${JSON.stringify(s.body).slice(0, 300)}`);
    return { smtpPorts, proxyUrl, support, secret: String((s.body as { secret: string }).secret) };
  } finally {
    http.close();
  }
}
