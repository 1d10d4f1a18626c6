// HTTP load for npm run bench (SPEC §9): autocannon against the production build served by the
// project's server (scripts/bench/app-server.ts → serveNext), authenticated with API tokens, on
// the data of DATABASE_URL. Scenarios, each with p50/p95/p99 latency and req/s:
//   list         GET /api/v1/tickets (agent default view), agents of ~20 orgs from the largest down
//   list-bare    the same requests against scripts/bench/bare-server.ts (node:http + pg, the same
//                SQL, captured from the real domain functions), alternating with `list` in rounds
//   search       GET /api/v1/tickets?q=<term> (terms from scripts/bench/lib/corpus.ts searchTerms())
//   page         GET /api/v1/tickets/:id then GET /api/v1/tickets/:id/comments (random tickets of those orgs)
//   create       POST /api/v1/tickets (a customer) then POST /api/v1/tickets/:id/comments (an agent's
//                first reply), as a pair, spread over the dedicated orgs bench-load-01 … -10
//   create-1org  the same pairs, all in bench-load-01 (one busy tenant: its writes serialize)
// list and search are also run on 2 connections (latency without queueing).
// A scenario that misses its SPEC bar is run once more with the server's CPU profiler on, and the
// profile is summarized. Prints one JSON line last (npm run bench reads it).
//
// Rate limits are raised for the bench in the server's env only. Tokens are created for the run and
// deleted after it; the tickets the create scenarios add stay in the bench-load-* orgs (no other org
// is written to), and the notification jobs they queued are deleted (no worker runs during the load).
//
// Usage: node scripts/run.mjs bench/http-load
//   [--duration 10] [--warmup 3] [--connections 10] [--rounds 2] [--scenarios list,search,page,create,create-1org]
//   [--orgs 20] [--no-build] [--no-profile] [--no-paced] [--profile-seconds 8] [--json]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import pg from "pg";
import { sql } from "drizzle-orm";
import { boot } from "../lib/boot";
import { buildIfNeeded } from "../lib/needs-build";
import { setProcessEnv } from "../../src/server/env";
import { closeDb } from "../../src/server/db/client";
import { OWNER_TENANT_SQL, unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { users } from "../../src/server/db/schema/users";
import { issueToken } from "../../src/server/auth/manage-tokens";
import { hashToken } from "../../src/server/auth/api-tokens";
import { confirmClaim, type Principal } from "../../src/server/auth/principal";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { listTickets } from "../../src/server/tickets/list-tickets";
import { ZListTickets } from "../../src/server/tickets/schemas";
import { capturingDb, scopeFor } from "./lib/capture";
import { searchTerms, sentencePool, subjectPool, prng, pick } from "./lib/corpus";
import { requireDatabaseUrl } from "./lib/db";
import { tsNodeArgs } from "./lib/child";
import { BARS } from "./lib/bars";
import { loadAvg, quantile } from "./lib/stats";
import { backendPids, cpuPerRequest, cpuSnapshot, type CpuPerRequest } from "./lib/proc-cpu";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./lib/cpu-profile";
import type { BareSpec, BareParam } from "./bare-server";

const SCENARIOS = ["list", "search", "page", "create", "create-1org"] as const;
type ScenarioId = (typeof SCENARIOS)[number];

let opts: {
  duration: number;
  warmup: number;
  connections: number;
  rounds: number;
  scenarios: ScenarioId[];
  orgs: number;
  build: boolean;
  profile: boolean;
  paced: boolean;
  profileSeconds: number;
  json: boolean;
};
try {
  const { values } = parseArgs({
    options: {
      duration: { type: "string", default: "10" },
      warmup: { type: "string", default: "3" },
      connections: { type: "string", default: "10" },
      rounds: { type: "string", default: "2" },
      scenarios: { type: "string", default: SCENARIOS.join(",") },
      orgs: { type: "string", default: "20" },
      "no-build": { type: "boolean", default: false },
      "no-profile": { type: "boolean", default: false },
      "no-paced": { type: "boolean", default: false },
      "profile-seconds": { type: "string", default: "8" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const num = (name: string, v: string, min: number, max: number) => {
    const n = Number(v);
    if (!(Number.isFinite(n) && n >= min && n <= max))
      throw new Error(`--${name} must be a number from ${min} to ${max}`);
    return n;
  };
  const scenarios = values
    .scenarios!.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const s of scenarios)
    if (!(SCENARIOS as readonly string[]).includes(s))
      throw new Error(`unknown scenario ${s} (${SCENARIOS.join(", ")})`);
  opts = {
    duration: num("duration", values.duration!, 1, 600),
    warmup: num("warmup", values.warmup!, 0, 60),
    connections: Math.round(num("connections", values.connections!, 1, 1000)),
    rounds: Math.round(num("rounds", values.rounds!, 1, 10)),
    scenarios: scenarios as ScenarioId[],
    orgs: Math.round(num("orgs", values.orgs!, 1, 1000)),
    build: !values["no-build"],
    profile: !values["no-profile"],
    paced: !values["no-paced"],
    profileSeconds: num("profile-seconds", values["profile-seconds"]!, 1, 120),
    json: values.json!,
  };
} catch (err) {
  console.error(
    `${err instanceof Error ? err.message : String(err)}\nSee the usage at the top of scripts/bench/http-load.ts.`,
  );
  process.exit(2);
}

const url = requireDatabaseUrl("bench");
const runId = `${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}-${randomBytes(3).toString("hex")}`;
const tokenName = `bench-http-${runId}`;
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-bench-http-"));
const secret = randomBytes(32).toString("base64url");
/** The dedicated orgs of the create scenarios: bench-load-01 … bench-load-NN. */
const LOAD_PREFIX = "bench-load-";
const LOAD_ORGS = 10;
/** The closed loop of the unqueued-latency runs: as wide as the machine's cores (2). */
const UNQUEUED_CONNECTIONS = 2;
/** withTenant()'s first statement (src/server/db/tenant.ts), as drizzle sends it. */
const TENANT_SQL = OWNER_TENANT_SQL; // with the signature computed in SQL (the bare server is the owner)
// This process only reads and writes through the domain functions; its own logs are not wanted.
setProcessEnv({ LOG_LEVEL: "silent", NEXTAUTH_SECRET: secret });
const booted = await boot({ quiet: true });
const log = (line: string) => console.log(line);

type Agent = { orgId: string; slug: string; userId: string; token: string };
type Target = { token: string; ticketId: string };
type LatencyFigures = { p50: number; p95: number; p99: number; max: number; mean: number };
export type ScenarioResult = LatencyFigures & {
  id: string;
  label: string;
  target: "app" | "bare";
  durationSec: number;
  connections: number;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  reqPerSec: number;
  /** Pages (page) or ticket + comment pairs (create) per second. */
  unitsPerSec?: number;
  unit?: string;
  statusCodes: Record<string, number>;
  cpuMsPerRequest: { server: number | null; postgres: number | null; loadGen: number };
  load: { before: string; after: string };
  rounds?: { reqPerSec: number; p95: number }[];
};
export type HttpLoadReport = {
  server: { url: string; nodeEnv: string; rateLimitStore: string; poolMax: number; logLevel: string; worker: string };
  orgs: { slug: string; tickets: number }[];
  agents: number;
  settings: { duration: number; warmup: number; connections: number; rounds: number };
  scenarios: ScenarioResult[];
  ratio: { app: number; bare: number; ratio: number; perRound: number[] } | null;
  bareSql: string[];
  profiles: Record<string, ProfileSummary & { scenario: string; seconds: number }>;
  workDir: string;
};

const children: ChildProcess[] = [];
const sys = new pg.Client({ connectionString: url, application_name: "beacon-bench-http" });
await sys.connect();
const loadOrgIds: string[] = [];
let final: HttpLoadReport | null = null;
let code = 0;
try {
  if (opts.build) await buildIfNeeded({ log });

  // ── Who calls: agents of ~opts.orgs orgs (the five largest, then spread down to the smallest) ──
  const orgRows = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string; slug: string; tickets: number }>(
      // Not the orgs other sections write to (bench-audit, bench-inbound, bench-triggers-*).
      sql`select id, slug, ticket_seq as tickets from orgs where slug not like ${LOAD_PREFIX + "%"} and slug not like 'bench-triggers-%' and slug not in ('bench-audit', 'bench-inbound') and ticket_seq > 0 order by ticket_seq desc, slug`,
    ),
  );
  if (orgRows.rows.length === 0)
    throw new Error("no tickets in this database: load it with npm run bench:generate -- --scale 1 (or 0.01)");
  const all = orgRows.rows;
  const chosen = all.slice(0, Math.min(5, opts.orgs));
  const rest = all.slice(chosen.length);
  const more = Math.min(rest.length, opts.orgs - chosen.length);
  for (let i = 0; i < more; i++) chosen.push(rest[Math.floor((i * (rest.length - 1)) / Math.max(1, more - 1))]!);
  const agents: Agent[] = [];
  const targets: Target[] = [];
  for (const o of chosen) {
    const staff = await unsafeWithSystem((tx) =>
      tx.execute<{ id: string; session_version: number }>(
        sql`select id, session_version from users where org_id = ${o.id} and role = 'agent' and blocked_at is null order by email limit 3`,
      ),
    );
    const orgAgents: Agent[] = [];
    for (const u of staff.rows) {
      const t = await withTenant(o.id, (tx) =>
        issueToken(
          tx,
          { orgId: o.id, userId: u.id, sessionVersion: u.session_version },
          tokenName,
          new Date(Date.now() + 86_400_000),
        ),
      );
      orgAgents.push({ orgId: o.id, slug: o.slug, userId: u.id, token: t.token });
    }
    agents.push(...orgAgents);
    const ids = await unsafeWithSystem((tx) =>
      tx.execute<{ id: string }>(sql`select id from tickets where org_id = ${o.id} order by random() limit 300`),
    );
    ids.rows.forEach(
      (r, i) => orgAgents.length > 0 && targets.push({ token: orgAgents[i % orgAgents.length]!.token, ticketId: r.id }),
    );
  }
  if (agents.length === 0) throw new Error("no agents found in the chosen orgs");
  log(
    `HTTP load: ${agents.length} agent tokens in ${chosen.length} orgs (${chosen[0]!.slug} ${chosen[0]!.tickets} tickets … ${chosen.at(-1)!.slug} ${chosen.at(-1)!.tickets}), ${targets.length} ticket ids.`,
  );

  // ── The dedicated orgs of the create scenarios ──
  const loadOrgs: LoadOrg[] = [];
  for (let i = 1; i <= LOAD_ORGS; i++) loadOrgs.push(await loadOrg(`${LOAD_PREFIX}${String(i).padStart(2, "0")}`));
  loadOrgIds.push(...loadOrgs.map((o) => o.orgId));

  // ── The SQL of the list endpoint, captured from the real functions, for the bare server ──
  const bare = await captureListSql(agents[0]!);
  const bareFile = path.join(workDir, "bare-sql.json");
  fs.writeFileSync(bareFile, JSON.stringify(bare.spec, null, 2));

  // ── Servers ──
  const rateLimitStore = process.env.REDIS_URL ? "redis (REDIS_URL)" : "memory";
  const poolMax = Number(process.env.DB_POOL_MAX ?? 10);
  const appEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    NEXTAUTH_SECRET: secret,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? "info",
    // The bench measures the stack, not the limits: budgets far above what the load sends.
    RATE_LIMIT_USER_PER_MIN: "1000000000",
    RATE_LIMIT_IP_PER_MIN: "1000000000",
    RATE_LIMIT_SEARCH_PER_MIN: "1000000000",
  };
  const app = await startServer("app", "scripts/bench/app-server.ts", appEnv);
  const bareServer = await startServer("bare", "scripts/bench/bare-server.ts", {
    ...process.env,
    BARE_SQL_FILE: bareFile,
    DB_POOL_MAX: String(poolMax),
  });
  log(`App (production build) at ${app.url}, bare server at ${bareServer.url}; logs in ${workDir}.`);

  const rnd = prng(`http:${runId}`);
  const terms = searchTerms();
  const subj = subjectPool("http-load", 2_000);
  const sent = sentencePool("http-load", 2_000, 0);
  const fromPool = (p: { buf: Buffer; width: number }, i: number) =>
    p.buf
      .subarray(i * p.width, (i + 1) * p.width)
      .toString("ascii")
      .trimEnd();
  const subjects = Array.from({ length: subj.count }, (_, i) => fromPool(subj, i));
  const sentences = Array.from({ length: sent.count }, (_, i) => fromPool(sent, i));
  const body = (n: number) => Array.from({ length: n }, () => pick(rnd, sentences)).join(" ");
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
  const json = (token: string) => ({ ...bearer(token), "content-type": "application/json" });

  type Req = autocannon.Request;
  const listReqs: Req[] = [
    {
      method: "GET",
      setupRequest: (r) => ({ ...r, path: "/api/v1/tickets", headers: bearer(pick(rnd, agents).token) }),
    },
  ];
  /** Pairs: a customer of a random org of `orgs` opens a ticket, an agent of that org answers it. */
  function createScenario(label: string, orgs: LoadOrg[]): { reqs: Req[]; label: string; unit?: string } {
    return {
      label,
      unit: "pairs",
      reqs: [
        {
          method: "POST",
          setupRequest: (r, ctx) => {
            const o = pick(rnd, orgs);
            Object.assign(ctx, { o });
            return {
              ...r,
              path: "/api/v1/tickets",
              headers: json(pick(rnd, o.customers)),
              // A customer's ticket: subject and message only (customers may not set priority or tags).
              body: JSON.stringify({ subject: pick(rnd, subjects), body: body(2 + Math.floor(rnd() * 4)) }),
            };
          },
          onResponse: (status, resBody, ctx) => {
            if (status === 201) Object.assign(ctx, { id: (JSON.parse(resBody) as { id: string }).id });
          },
        },
        {
          method: "POST",
          // No ticket id (the create failed): autocannon restarts the pair.
          setupRequest: (r, ctx) => {
            const { id, o } = ctx as { id?: string; o: LoadOrg };
            return (
              id
                ? {
                    ...r,
                    path: `/api/v1/tickets/${id}/comments`,
                    headers: json(pick(rnd, o.agents)),
                    body: JSON.stringify({ body: body(1 + Math.floor(rnd() * 3)) }),
                  }
                : null
            ) as Req;
          },
        },
      ],
    };
  }
  const scenarioReqs: Record<Exclude<ScenarioId, "list">, { reqs: Req[]; label: string; unit?: string }> = {
    search: {
      label: "Search GET /api/v1/tickets?q=<term>",
      reqs: [
        {
          method: "GET",
          setupRequest: (r) => ({
            ...r,
            path: `/api/v1/tickets?q=${encodeURIComponent(pick(rnd, terms))}`,
            headers: bearer(pick(rnd, agents).token),
          }),
        },
      ],
    },
    page: {
      label: "Ticket page GET /api/v1/tickets/:id + GET …/:id/comments",
      unit: "pages",
      reqs: [
        {
          method: "GET",
          setupRequest: (r, ctx) => {
            const t = pick(rnd, targets);
            Object.assign(ctx, { t });
            return { ...r, path: `/api/v1/tickets/${t.ticketId}`, headers: bearer(t.token) };
          },
        },
        {
          method: "GET",
          setupRequest: (r, ctx) => {
            const t = (ctx as { t: Target }).t;
            return { ...r, path: `/api/v1/tickets/${t.ticketId}/comments`, headers: bearer(t.token) };
          },
        },
      ],
    },
    create: createScenario(
      "Create POST /api/v1/tickets (customer) + POST …/:id/comments (agent's first reply), spread over " +
        LOAD_ORGS +
        " orgs",
      loadOrgs,
    ),
    "create-1org": createScenario("The same pairs, all in one org (" + loadOrgs[0]!.slug + ")", loadOrgs.slice(0, 1)),
  };

  const results: ScenarioResult[] = [];
  const profiles: HttpLoadReport["profiles"] = {};

  // list and bare, alternating, so both see the same machine conditions.
  if (opts.scenarios.includes("list")) {
    await run(app, listReqs, opts.warmup);
    await run(bareServer, listReqs, opts.warmup);
    const appRounds: Run[] = [];
    const bareRounds: Run[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      appRounds.push(await run(app, listReqs, opts.duration));
      bareRounds.push(await run(bareServer, listReqs, opts.duration));
    }
    const a = combine("list", "Ticket list GET /api/v1/tickets (agent default view)", "app", appRounds);
    const b = combine("list-bare", "Same requests, bare node:http + pg server, same SQL", "bare", bareRounds);
    results.push(a, b);
    log(line(a));
    log(line(b));
    if (opts.paced) results.push(await paced(app, "list", a, listReqs));
    if (opts.profile && a.p95 > BARS.listP95Ms) profiles.list = await profile(app, "list", listReqs);
  }
  for (const id of ["search", "page", "create", "create-1org"] as const) {
    if (!opts.scenarios.includes(id)) continue;
    const s = scenarioReqs[id];
    await run(app, s.reqs, opts.warmup);
    const r = combine(id, s.label, "app", [await run(app, s.reqs, opts.duration)], s.unit);
    results.push(r);
    log(line(r));
    if (opts.paced && id === "search") results.push(await paced(app, "search", r, s.reqs));
    const missed =
      (id === "search" && r.p95 > BARS.searchP95Ms) ||
      (id === "create" && (r.unitsPerSec ?? 0) < BARS.createPairsPerSec);
    if (opts.profile && missed) profiles[id] = await profile(app, id, s.reqs);
  }

  const appList = results.find((r) => r.id === "list");
  const bareList = results.find((r) => r.id === "list-bare");
  const report: HttpLoadReport = {
    server: {
      url: app.url,
      nodeEnv: "production",
      rateLimitStore,
      poolMax,
      logLevel: appEnv.LOG_LEVEL!,
      worker: "not running (asynchronous work; measured separately)",
    },
    orgs: chosen.map((o) => ({ slug: o.slug, tickets: o.tickets })),
    agents: agents.length,
    settings: { duration: opts.duration, warmup: opts.warmup, connections: opts.connections, rounds: opts.rounds },
    scenarios: results,
    ratio:
      appList && bareList
        ? {
            app: appList.reqPerSec,
            bare: bareList.reqPerSec,
            ratio: Math.round((appList.reqPerSec / bareList.reqPerSec) * 1000) / 1000,
            perRound: (appList.rounds ?? []).map(
              (r, i) => Math.round((r.reqPerSec / bareList.rounds![i]!.reqPerSec) * 1000) / 1000,
            ),
          }
        : null,
    bareSql: bare.display,
    profiles,
    workDir,
  };
  if (!opts.json) log(`Ratio app ÷ bare (list): ${report.ratio?.ratio ?? "n/a"}`);
  final = report;
} catch (err) {
  code = 1;
  console.error(`http-load failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  for (const c of children) await stopChild(c);
  await cleanup().catch((e: unknown) => console.error(`clean-up: ${String(e)}`));
  await sys.end().catch(() => undefined);
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
}
// Last, after the clean-up's own line: npm run bench reads the last line of stdout.
if (final) console.log(JSON.stringify(final));
process.exit(code);

// ───────────────────────────────────────────────────────────────────────────────────────────────

type Server = { url: string; child: ChildProcess };
type Run = {
  latencies: number[];
  statusCodes: Record<string, number>;
  errors: number;
  durationSec: number;
  units: number;
  cpu: CpuPerRequest;
  load: { before: string; after: string };
};

async function run(
  server: Server,
  requests: autocannon.Request[],
  seconds: number,
  connections = opts.connections,
): Promise<Run> {
  const pids = await backendPids(sys);
  return new Promise((resolve, reject) => {
    const latencies: number[] = [];
    const statusCodes: Record<string, number> = {};
    let units = 0;
    const reqs = requests.map((r, i) =>
      i === requests.length - 1
        ? {
            ...r,
            onResponse: (status: number, b: string, ctx: object, h: autocannon.Request["headers"]) => {
              if (status >= 200 && status < 300) units++;
              if (typeof r.onResponse === "function") r.onResponse(status, b, ctx, h);
            },
          }
        : r,
    );
    const before = cpuSnapshot(server.child.pid, pids);
    const loadBefore = loadAvg();
    const instance = autocannon(
      { url: server.url, connections, duration: seconds, requests: reqs as autocannon.Request[], timeout: 30 },
      (err, res) => {
        if (err) return reject(err);
        const loadAfter = loadAvg();
        // Backends the pool opened during the run count too (from zero).
        backendPids(sys).then((now) => {
          const after = cpuSnapshot(server.child.pid, [...new Set([...pids, ...now])]);
          resolve({
            latencies,
            statusCodes,
            errors: res.errors,
            durationSec: res.duration,
            units,
            cpu: cpuPerRequest(before, after, latencies.length),
            load: { before: loadBefore, after: loadAfter },
          });
        }, reject);
      },
    );
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      latencies.push(ms);
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    });
  });
}

function combine(id: string, label: string, target: "app" | "bare", runs: Run[], unit?: string): ScenarioResult {
  const lat = runs.flatMap((r) => r.latencies);
  const dur = runs.reduce((a, r) => a + r.durationSec, 0);
  const codes: Record<string, number> = {};
  for (const r of runs) for (const [k, v] of Object.entries(r.statusCodes)) codes[k] = (codes[k] ?? 0) + v;
  const ok = Object.entries(codes)
    .filter(([k]) => k.startsWith("2"))
    .reduce((a, [, v]) => a + v, 0);
  const q = (x: number) => Math.round(quantile(lat, x) * 100) / 100;
  const weighted = (pick: (c: Run["cpu"]) => number | null) => {
    const xs = runs.map((r) => ({ v: pick(r.cpu), n: r.latencies.length }));
    if (xs.some((x) => x.v === null)) return null;
    const n = xs.reduce((a, x) => a + x.n, 0);
    return n ? Math.round((xs.reduce((a, x) => a + x.v! * x.n, 0) / n) * 1000) / 1000 : null;
  };
  return {
    id,
    label,
    target,
    durationSec: dur,
    connections: opts.connections,
    responses: lat.length,
    ok,
    non2xx: lat.length - ok,
    errors: runs.reduce((a, r) => a + r.errors, 0),
    reqPerSec: Math.round((lat.length / dur) * 10) / 10,
    ...(unit ? { unit, unitsPerSec: Math.round((runs.reduce((a, r) => a + r.units, 0) / dur) * 10) / 10 } : {}),
    p50: q(0.5),
    p95: q(0.95),
    p99: q(0.99),
    max: q(1),
    mean: Math.round((lat.reduce((a, b) => a + b, 0) / Math.max(1, lat.length)) * 100) / 100,
    statusCodes: codes,
    cpuMsPerRequest: {
      server: weighted((c) => c.server),
      postgres: weighted((c) => c.postgres),
      loadGen: weighted((c) => c.loadGen)!,
    },
    load: { before: runs[0]!.load.before, after: runs.at(-1)!.load.after },
    ...(runs.length > 1
      ? {
          rounds: runs.map((r) => ({
            reqPerSec: Math.round((r.latencies.length / r.durationSec) * 10) / 10,
            p95: Math.round(quantile(r.latencies, 0.95) * 100) / 100,
          })),
        }
      : {}),
  };
}

/**
 * Latency without queueing: a closed loop of as many connections as the machine has cores (2),
 * so a request waits for at most one other. At saturation a closed loop's latency is
 * connections ÷ throughput (Little's law), which the 10-connection run shows. (autocannon's
 * overallRate was tried first: it releases each second's quota as a burst, so "paced" requests
 * queued behind each other and the figure measured the burst, not the request.)
 */
async function paced(
  server: Server,
  id: string,
  saturated: ScenarioResult,
  reqs: autocannon.Request[],
): Promise<ScenarioResult> {
  const r = combine(
    `${id}-paced`,
    `${saturated.label}, ${UNQUEUED_CONNECTIONS} connections (unqueued latency)`,
    "app",
    [await run(server, reqs, opts.duration, UNQUEUED_CONNECTIONS)],
  );
  r.connections = UNQUEUED_CONNECTIONS;
  log(line(r));
  return r;
}

function line(r: ScenarioResult): string {
  return (
    `  ${r.id.padEnd(10)} ${String(r.reqPerSec).padStart(7)} req/s${r.unit ? ` (${r.unitsPerSec} ${r.unit}/s)` : ""}  p50 ${r.p50} ms  p95 ${r.p95} ms  p99 ${r.p99} ms  ` +
    `non-2xx ${r.non2xx}  cpu/req server ${r.cpuMsPerRequest.server ?? "?"} ms, postgres ${r.cpuMsPerRequest.postgres ?? "?"} ms, load generator ${r.cpuMsPerRequest.loadGen} ms  load ${r.load.after}`
  );
}

async function startServer(name: string, script: string, env: NodeJS.ProcessEnv): Promise<Server> {
  const out = fs.openSync(path.join(workDir, `${name}.log`), "a");
  const child = spawn(process.execPath, tsNodeArgs(script), {
    cwd: process.cwd(),
    env,
    stdio: ["ignore", out, out, "ipc"],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} server not ready after 180 s (see ${workDir}/${name}.log)`)),
      180_000,
    );
    child.on("message", (m: { ready?: boolean; url?: string }) => {
      if (m.ready && m.url) {
        clearTimeout(timer);
        resolve(m.url);
      }
    });
    child.once("exit", (c) => {
      clearTimeout(timer);
      const tail = fs
        .readFileSync(path.join(workDir, `${name}.log`), "utf8")
        .trim()
        .split("\n")
        .slice(-5)
        .join("\n");
      reject(new Error(`${name} server exited (${c}) before it was ready:\n${tail}`));
    });
  });
  return { url, child };
}

function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(() => c.kill("SIGKILL"), 10_000);
    c.once("exit", () => {
      clearTimeout(t);
      resolve();
    });
    c.kill("SIGTERM");
  });
}

async function profile(
  server: Server,
  id: string,
  reqs: autocannon.Request[],
): Promise<ProfileSummary & { scenario: string; seconds: number }> {
  const file = path.join(workDir, `${id}.cpuprofile`);
  const ask = (msg: object, answer: string) =>
    new Promise<void>((resolve, reject) => {
      const on = (m: Record<string, unknown>) => {
        if (m.error) reject(new Error(String(m.error)));
        else if (answer in m) {
          server.child.off("message", on);
          resolve();
        }
      };
      server.child.on("message", on);
      server.child.send(msg);
    });
  await ask({ profile: "start" }, "profiling");
  await run(server, reqs, opts.profileSeconds);
  await ask({ profile: "stop", file }, "profiled");
  const summary = summarizeProfile(JSON.parse(fs.readFileSync(file, "utf8")) as CpuProfile);
  log(
    `  profile of ${id} (${file}): busy ${summary.busyPct} %; ${summary.areas
      .slice(0, 6)
      .map((a) => `${a.area} ${a.pct} %`)
      .join(", ")}`,
  );
  return { ...summary, scenario: id, seconds: opts.profileSeconds };
}

type LoadOrg = { slug: string; orgId: string; agents: string[]; customers: string[] };

/** A dedicated load org: a real org (bootstrapOrg: default SLA policies and calendar) with 5 agents and 20 customers. */
async function loadOrg(slug: string): Promise<LoadOrg> {
  const found = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string }>(sql`select id from orgs where slug = ${slug}`),
  );
  const orgId =
    found.rows[0]?.id ??
    (
      await bootstrapOrg({
        name: `Bench load ${slug.slice(LOAD_PREFIX.length)}`,
        adminEmail: `admin@${slug}.test`,
        slug,
        timezone: "UTC",
      })
    ).org.id;
  const wanted = [
    ...Array.from({ length: 5 }, (_, i) => ({
      orgId,
      email: `agent${i + 1}@${slug}.test`,
      name: `Load Agent ${i + 1}`,
      role: "agent" as const,
    })),
    ...Array.from({ length: 20 }, (_, i) => ({
      orgId,
      email: `customer${i + 1}@${slug}.test`,
      name: `Load Customer ${i + 1}`,
      role: "customer" as const,
    })),
  ];
  const people = await withTenant(orgId, async (tx) => {
    await tx.insert(users).values(wanted).onConflictDoNothing();
    return tx.execute<{ id: string; role: string; session_version: number }>(
      sql`select id, role, session_version from users where org_id = ${orgId} and role in ('agent', 'customer') and blocked_at is null`,
    );
  });
  const tokens = { agents: [] as string[], customers: [] as string[] };
  for (const u of people.rows) {
    const t = await withTenant(orgId, (tx) =>
      issueToken(
        tx,
        { orgId, userId: u.id, sessionVersion: u.session_version },
        tokenName,
        new Date(Date.now() + 86_400_000),
      ),
    );
    (u.role === "agent" ? tokens.agents : tokens.customers).push(t.token);
  }
  return { slug, orgId, ...tokens };
}

/**
 * The statements GET /api/v1/tickets (default view) sends for `agent`, captured from the real
 * confirmClaim and listTickets in a tenant transaction (the first call refreshes the token's
 * last_used_at, which the app does at most once a minute, so the second is the steady state).
 */
async function captureListSql(agent: Agent): Promise<{ spec: BareSpec; display: string[] }> {
  const pool = new pg.Pool({ connectionString: url, max: 1, application_name: "beacon-bench-capture" });
  try {
    const { run: runCaptured } = capturingDb(pool);
    const claim = { kind: "token" as const, orgId: agent.orgId, token: agent.token };
    const call = () =>
      runCaptured({ orgId: agent.orgId } as Principal, async (tx) => {
        const user = await confirmClaim(tx, claim);
        if (!user) throw new Error("the bench token was not accepted");
        return listTickets(scopeFor(user, tx), ZListTickets.parse({}));
      });
    await call();
    const { queries } = await call();
    const hash = hashToken(agent.token);
    const template = (params: unknown[]): BareParam[] =>
      params.map((p) =>
        p === agent.orgId
          ? { from: "org" }
          : p === hash
            ? { from: "tokenHash" }
            : p === agent.userId
              ? { from: "userId" }
              : { value: p },
      );
    const steady = queries.filter((q) => !/^update "api_tokens"/i.test(q.sql));
    const authIdx = steady.findIndex((q) => q.params.includes(hash));
    if (authIdx !== 0)
      throw new Error(`expected the token lookup first, got: ${steady.map((q) => q.sql.slice(0, 60)).join(" | ")}`);
    const auth = steady[0]!;
    // Which column of the lookup's row is the user id (drizzle reads rows as arrays too).
    const c = await pool.connect();
    let userIdColumn = -1;
    try {
      await c.query("begin");
      await c.query(TENANT_SQL, [agent.orgId]);
      const r = await c.query({ text: auth.sql, values: auth.params, rowMode: "array" });
      userIdColumn = (r.rows[0] as unknown[]).findIndex((v) => v === agent.userId);
    } finally {
      await c.query("rollback").catch(() => undefined);
      c.release();
    }
    if (userIdColumn < 0) throw new Error("could not find the user id in the token lookup's row");
    const spec: BareSpec = {
      tenant: { sql: TENANT_SQL, params: [{ from: "org" }] },
      auth: { sql: auth.sql, params: template(auth.params), userIdColumn },
      list: steady.slice(1).map((q) => ({ sql: q.sql, params: template(q.params) })),
      limit: ZListTickets.parse({}).limit,
    };
    const display = [
      `begin; ${TENANT_SQL} -- $1 = org (one message, the org id as a literal)`,
      ...steady.map(
        (q) => `${q.sql} -- ${JSON.stringify(template(q.params).map((p) => ("value" in p ? p.value : `<${p.from}>`)))}`,
      ),
      "commit",
    ];
    return { spec, display };
  } finally {
    await pool.end();
  }
}

async function cleanup(): Promise<void> {
  const t = await sys.query("delete from api_tokens where name = $1", [tokenName]);
  // The create scenario's notification jobs: no worker ran to take them, and none should later.
  let jobs = 0;
  if (loadOrgIds.length > 0) {
    const r = await sys
      .query("delete from pgboss.job where name = 'notify' and state = 'created' and data->>'orgId' = any($1)", [
        loadOrgIds,
      ])
      .catch(() => null);
    jobs = r?.rowCount ?? 0;
  }
  log(`Clean-up: ${t.rowCount} bench tokens and ${jobs} queued notification jobs of the ${LOAD_PREFIX}* orgs deleted.`);
}
