// npm run test:drain: `npm start` stops cleanly on SIGTERM (issue 21 §1-2, decision 028).
//
// Against the production build (made by test:e2e before it in npm test; built here if missing), on
// a fresh database (DATABASE_URL's server, else embedded PostgreSQL in a temp dir): starts
// `npm start` in its own process group with NODE_ENV=production and WEB_CONCURRENCY=2 (a cluster
// primary and two HTTP workers, decision 046), begins a 1.5 MB upload at
// 500 KB/s, sends SIGTERM to the pid `npm start` prints (and wrote to BEACON_PID_FILE), and checks
// that /readyz answers 503 during the drain, the upload answers 201, the process logs `Beacon
// stopped` and exits 0, and no process of its group is left. The worker's side (a job in progress
// finishes once) is tests/integration/worker-drain.test.ts. Then `npm run web` on the same database:
// a web node without the worker, whose /api/health says degraded because no worker beats. About
// 45 s after the build.
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { spawn, type ChildProcess } from "node:child_process";
import { buildIfNeeded } from "./lib/needs-build";
import { adminQuery, freePort } from "./lib/local-infra";
import { setProcessEnv } from "../src/server/env";
import { startEmbeddedPostgres, type EmbeddedServer } from "../src/server/db/embedded";
import { prepareDatabase } from "../src/server/deploy/prepare-database";
import { closeDb } from "../src/server/db/client";
import { demoEmails, seedDemoIfEmpty } from "../src/server/seed/demo";

const started = Date.now();
const cleanups: (() => Promise<void>)[] = [];
const failures: string[] = [];
const check = (ok: boolean, what: string) => {
  console.log(`drain: ${ok ? "ok  " : "FAIL"} ${what}`);
  if (!ok) failures.push(what);
};

let app: ChildProcess | undefined;
const spawned: ChildProcess[] = [];
let code = 1;
try {
  await run();
  code = failures.length ? 1 : 0;
} catch (err) {
  console.error(`drain: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  for (const p of spawned) {
    if (!p.pid || p.exitCode !== null) continue;
    try {
      process.kill(-p.pid, "SIGKILL");
    } catch {
      // gone
    }
  }
  for (const fn of cleanups.reverse()) await fn().catch((e: unknown) => console.error(`drain cleanup: ${String(e)}`));
}
console.log(
  `drain test ${code === 0 ? "passed" : `FAILED (${failures.join("; ") || "error above"})`} in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
);
process.exit(code);

async function run(): Promise<void> {
  await buildIfNeeded({ log: (line) => console.log(`drain: ${line}`) });
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-drain-"));
  fs.chmodSync(tmp, 0o755);
  cleanups.push(async () => fs.rmSync(tmp, { recursive: true, force: true }));
  const databaseUrl = await freshDatabase(tmp);

  // Seed as the demo does (the seed refuses production), then run the app as production runs.
  const password = randomBytes(12).toString("base64url");
  setProcessEnv({ NODE_ENV: "development", DATABASE_URL: databaseUrl, BEACON_EMBEDDED_DB: "", LOG_LEVEL: "warn" });
  await prepareDatabase(databaseUrl);
  await seedDemoIfEmpty({ password });
  await closeDb();

  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const pidFile = path.join(tmp, "beacon.pid");
  let out = "";
  const appEnv: Record<string, string> = {
    NODE_ENV: "production",
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    NEXTAUTH_URL: base,
    HOST: "127.0.0.1",
    PORT: String(port),
    BEACON_DATA_DIR: tmp,
    SHUTDOWN_GRACE_MS: "10000",
    LOG_LEVEL: "info",
    METRICS_TOKEN: randomBytes(16).toString("hex"),
  };
  const first = spawn("npm", ["start", "--silent"], {
    cwd: process.cwd(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // Two HTTP worker processes under a cluster primary (decision 046): the drain is the primary's.
    env: { ...process.env, ...appEnv, BEACON_PID_FILE: pidFile, WEB_CONCURRENCY: "2" },
  });
  app = first;
  spawned.push(first);
  first.stdout!.setEncoding("utf8").on("data", (d: string) => (out += d));
  first.stderr!.setEncoding("utf8").on("data", (d: string) => (out += d));
  const exited = new Promise<number | null>((resolve) => first.once("exit", (c) => resolve(c)));
  // Two HTTP workers each load the app (tsx) and prepare Next after the primary's boot: more time than one process.
  const pid = Number(
    await until(
      "npm start's running line",
      () => /Beacon is running at .*pid (\d+)/.exec(out)?.[1],
      180_000,
      () => out,
    ),
  );
  check(
    fs.readFileSync(pidFile, "utf8").trim() === String(pid) && pid !== first.pid,
    `the pid file names the server (${pid}), not npm (${first.pid})`,
  );
  check(
    out.includes(`pid ${pid}, 2 HTTP worker processes`),
    "npm start runs 2 HTTP worker processes (WEB_CONCURRENCY=2) under the primary it names",
  );
  // Production boot warnings (issue 21 §4): SMTP_URL, REDIS_URL and TRUST_PROXY_HOPS here; METRICS_TOKEN is set.
  check(
    ["SMTP_URL unset", "REDIS_URL unset", "TRUST_PROXY_HOPS 0"].every((w) => out.includes(`"msg":"production: ${w}`)) &&
      !out.includes("production: METRICS_TOKEN"),
    "the production boot log warns about SMTP_URL, REDIS_URL and TRUST_PROXY_HOPS (not the METRICS_TOKEN it has)",
  );

  const token = await json("POST", `${base}/api/v1/auth/token`, undefined, { email: demoEmails()[1], password }).then(
    (r) => r.body.token as string,
  );
  const ticket = await json("POST", `${base}/api/v1/tickets`, token, {
    subject: "drain test",
    body: "upload during SIGTERM",
  });

  // 1.5 MB of text at 500 KB/s: about 3 s on the wire.
  const boundary = `drain${randomBytes(8).toString("hex")}`;
  const head = Buffer.from(
    `--${boundary}\r\ncontent-disposition: form-data; name="file"; filename="drain.txt"\r\ncontent-type: text/plain\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const payload = Buffer.alloc(1_500_000, "beacon drain test line\n");
  const body = Buffer.concat([head, payload, tail]);
  let firstChunkSent!: () => void;
  const sending = new Promise<void>((r) => (firstChunkSent = r));
  const upload = new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(`${base}/api/v1/tickets/${ticket.body.id as string}/attachments`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${token}`,
        "content-type": `multipart/form-data; boundary=${boundary}`,
        "content-length": String(body.length),
      },
    });
    req.on("response", (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on("error", reject);
    void (async () => {
      for (let off = 0; off < body.length; off += 50_000) {
        req.write(body.subarray(off, off + 50_000));
        if (off === 0) firstChunkSent();
        await new Promise((r) => setTimeout(r, 100));
      }
      req.end();
    })();
  });
  // An idle keep-alive connection (one request answered, socket kept open): the drain closes it.
  const idle = net.connect(port, "127.0.0.1");
  let idleClosedAt = 0;
  idle.on("close", () => (idleClosedAt = Date.now()));
  idle.on("error", () => undefined);
  await new Promise<void>((resolve) => {
    idle.once("data", () => resolve());
    idle.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n");
  });
  await sending;
  await new Promise((r) => setTimeout(r, 300));
  const signalledAt = Date.now();
  process.kill(pid, "SIGTERM");

  // A load balancer's probe during the drain: /readyz 503 on a new connection.
  let readyzDuringDrain = 0;
  for (let i = 0; i < 20 && readyzDuringDrain !== 503; i++) {
    await new Promise((r) => setTimeout(r, 100));
    readyzDuringDrain = await fetch(`${base}/readyz`)
      .then((r) => r.status)
      .catch(() => -1);
  }
  check(readyzDuringDrain === 503, `/readyz answered 503 during the drain (got ${readyzDuringDrain})`);
  check(
    idleClosedAt > 0 && idleClosedAt - signalledAt < 1_000,
    `the idle keep-alive connection was closed at once (${idleClosedAt ? `${idleClosedAt - signalledAt} ms` : "still open"} after SIGTERM)`,
  );
  const up = await upload.catch((e: unknown) => ({ status: -1, text: String(e) }));
  check(up.status === 201, `the upload in flight answered 201 (got ${up.status} ${up.text.slice(0, 200)})`);

  const exitCode = await Promise.race([exited, new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 20_000))]);
  check(
    exitCode === 0,
    `npm start exited 0 within 20 s of SIGTERM (got ${exitCode}, after ${Date.now() - signalledAt} ms)`,
  );
  check(
    /"drained":\{"requests":[1-9]\d*,"jobs":\d+\},"cut":\{"requests":0,"jobs":0\}.*"msg":"Beacon stopped"/.test(out),
    "it logged `Beacon stopped` with the drained upload and nothing cut",
  );
  check(/"msg":"worker stopped"/.test(out), "the in-process worker logged `worker stopped`");
  check(!fs.existsSync(pidFile), "the pid file is removed");
  let groupLeft = true;
  for (let i = 0; i < 50 && groupLeft; i++) {
    try {
      process.kill(-first.pid!, 0);
      await new Promise((r) => setTimeout(r, 100));
    } catch {
      groupLeft = false;
    }
  }
  check(!groupLeft, "no process of npm start's group is left");
  if (failures.length) console.log(`drain: npm start's output:\n${out}`);

  // A web node: `npm run web` starts no worker, so nothing beats and /api/health says degraded.
  const before = failures.length;
  let webOut = "";
  const web = spawn("npm", ["run", "--silent", "web"], {
    cwd: process.cwd(),
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    // One process, no cluster: the path WEB_CONCURRENCY=1 (and a one-core machine) takes.
    env: { ...process.env, ...appEnv, BEACON_PID_FILE: path.join(tmp, "web.pid"), WEB_CONCURRENCY: "1" },
  });
  app = web;
  spawned.push(web);
  web.stdout!.setEncoding("utf8").on("data", (d: string) => (webOut += d));
  web.stderr!.setEncoding("utf8").on("data", (d: string) => (webOut += d));
  const webExited = new Promise<number | null>((resolve) => web.once("exit", (c) => resolve(c)));
  const webPid = Number(
    await until(
      "npm run web's running line",
      () => /Beacon is running at .*pid (\d+)/.exec(webOut)?.[1],
      90_000,
      () => webOut,
    ),
  );
  check(
    webOut.includes("Web node only (--no-worker)") && !webOut.includes('"msg":"worker started"'),
    "npm run web starts no job worker",
  );
  check(!webOut.includes("HTTP worker processes"), "with WEB_CONCURRENCY=1 it serves from the one process");
  const h = await fetch(`${base}/api/health`);
  const hb = (await h.json()) as { status: string; reasons: string[] };
  check(
    h.status === 503 &&
      hb.status === "degraded" &&
      hb.reasons.some((r) => r.startsWith("jobs: no job worker has beaten within 60 s")),
    `with no worker anywhere /api/health is 503 degraded, reason jobs (got ${h.status} ${JSON.stringify(hb.reasons)})`,
  );
  check((await fetch(`${base}/readyz`)).status === 200, "/readyz stays 200 (database-only)");
  process.kill(webPid, "SIGTERM");
  check((await webExited) === 0, "npm run web exited 0 on SIGTERM");
  if (failures.length > before) console.log(`drain: npm run web's output:\n${webOut}`);
}

async function json(
  method: string,
  url: string,
  token: string | undefined,
  body: unknown,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(url, {
    method,
    headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const parsed = (await r.json()) as Record<string, unknown>;
  if (r.status >= 300) throw new Error(`${method} ${url}: ${r.status} ${JSON.stringify(parsed)}`);
  return { status: r.status, body: parsed };
}

async function until<T>(what: string, probe: () => T | undefined, ms: number, context: () => string): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > end || app?.exitCode !== null)
      throw new Error(`timed out waiting for ${what}; output:\n${context()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A new database on DATABASE_URL's server, else on an embedded server of this run's own. */
async function freshDatabase(tmp: string): Promise<string> {
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const port = await freePort();
    console.log(`drain: starting embedded PostgreSQL on 127.0.0.1:${port}…`);
    const embedded: EmbeddedServer = await startEmbeddedPostgres({ dataDir: path.join(tmp, "pg"), port });
    cleanups.push(() => embedded.stop());
    adminUrl = embedded.url("postgres");
  }
  const name = `beacon_drain_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `create database ${name}`);
  const admin = adminUrl;
  cleanups.push(() => adminQuery(admin, `drop database if exists ${name} with (force)`));
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
