// npm run bench:export -- [--format csv|ndjson] [--orgs N] [--json] [--route]
//
// SPEC §9: "export of 1M tickets streams at ≥ 50k rows/s in < 200 MB RSS". Export is per org, so
// this exports every org of the DATABASE_URL database one after another (1,000 orgs = 1M tickets
// on the bench database) and reports rows/s over the whole run and the process's peak RSS; first
// it exports the largest org alone (that run also warms up the JIT and the caches).
//
// Each export is the real stream (ticketExportStream: tenant transactions as beacon_app, RLS, the
// keyset batches, the CSV/ndjson encoding) read to the end by a consumer that counts bytes and
// lines, as the HTTP adapter would write them. Without --route the database is only read. With
// --route every export goes through the real route handler in-process (GET
// /api/v1/export/tickets with a minted admin session cookie: auth, feature flag, rate limit), which
// also appends one `export.started` audit event per org — use it on a scratch database only.
//
// --json prints one final line {"format","rows","seconds","rowsPerSec","peakRssMb","largestOrg":{…}}
// (npm run bench parses the last stdout line).
import fs from "node:fs";
import os from "node:os";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { boot } from "../lib/boot";
import { fmtBytes, fmtInt, requireDatabaseUrl } from "./lib/db";
import { closeDb, pool } from "../../src/server/db/client";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { ticketExportStream } from "../../src/server/export/ticket-export-stream";

const USAGE = `Usage: DATABASE_URL=postgres://… npm run bench:export -- [options]
  --format csv|ndjson   (default csv)
  --batch-size N        rows per keyset batch (default: the export's own)
  --orgs N              export only the first N orgs by slug (default: all)
  --json                print one final JSON line instead of the human-readable report
  --route               go through the route handler (writes one audit event per org; scratch databases only)`;

type Org = { id: string; slug: string; tickets: number; adminId: string | null; adminSv: number | null };
type Run = { rows: number; bytes: number; ms: number };

let args: { format: "csv" | "ndjson"; orgs?: number; json: boolean; route: boolean; batchSize?: number };
try {
  const { values } = parseArgs({
    options: {
      format: { type: "string", default: "csv" },
      orgs: { type: "string" },
      "batch-size": { type: "string" },
      json: { type: "boolean", default: false },
      route: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.format !== "csv" && values.format !== "ndjson") throw new Error("--format must be csv or ndjson");
  const orgs = values.orgs === undefined ? undefined : Number(values.orgs);
  if (orgs !== undefined && !(Number.isInteger(orgs) && orgs >= 1))
    throw new Error("--orgs must be a positive integer");
  const batchSize = values["batch-size"] === undefined ? undefined : Number(values["batch-size"]);
  if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize >= 1))
    throw new Error("--batch-size must be a positive integer");
  if (batchSize !== undefined && values.route) throw new Error("--batch-size applies to the stream, not to --route");
  args = { format: values.format, orgs, json: values.json!, route: values.route!, batchSize };
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}

requireDatabaseUrl("bench:export");
const say = args.json ? () => undefined : (line: string) => console.log(line);
// The route path mints session cookies itself; its limits are measured, not hit.
setProcessEnv({
  LOG_LEVEL: "silent",
  ...(args.route && !process.env.NEXTAUTH_SECRET ? { NEXTAUTH_SECRET: "bench-export-".padEnd(48, "x") } : {}),
  ...(args.route
    ? {
        RATE_LIMIT_IP_PER_MIN: "100000000",
        RATE_LIMIT_USER_PER_MIN: "100000000",
        RATE_LIMIT_EXPORT_PER_MIN: "100000000",
      }
    : {}),
});
const booted = await boot({ quiet: true });

// The org list is the one cross-org read (as an operator would pick orgs); every export is tenant-scoped.
const all = await unsafeWithSystem(
  async (tx) =>
    (
      await tx.execute<Org>(sql`
    select o.id, o.slug, (select count(*)::int from tickets t where t.org_id = o.id) as tickets, a.id as "adminId", a.session_version as "adminSv"
    from orgs o
    left join lateral (select u.id, u.session_version from users u
                       where u.org_id = o.id and u.role = 'admin' and u.blocked_at is null and not u.must_change_password
                       order by u.created_at, u.id limit 1) a on true
    order by o.slug`)
    ).rows,
);
const orgs = args.orgs ? all.slice(0, args.orgs) : all;
if (orgs.length === 0) {
  console.error("no orgs in this database (load one with npm run bench:generate)");
  process.exit(1);
}
const largest = orgs.reduce((a, b) => (b.tickets > a.tickets ? b : a));

const openStream = await (async () => {
  if (!args.route)
    return async (org: Org) => ticketExportStream(org.id, { format: args.format, batchSize: args.batchSize });
  const { GET } = await import("../../src/app/api/v1/[[...path]]/route");
  const { encodeSession, sessionCookieName } = await import("../../src/server/auth/session-cookie");
  return async (org: Org) => {
    if (!org.adminId) throw new Error(`org ${org.slug} has no active admin to export as`);
    const cookie = `${sessionCookieName()}=${await encodeSession({ sub: org.adminId, oid: org.id, sv: org.adminSv! })}`;
    const req = new Request(`http://bench/api/v1/export/tickets?format=${args.format}`, {
      headers: { cookie, "x-forwarded-for": "127.0.0.1" },
    });
    const res = await GET(req);
    if (res.status !== 200 || !res.body) throw new Error(`org ${org.slug}: HTTP ${res.status} ${await res.text()}`);
    return res.body;
  };
})();

/**
 * CPU time, which other sessions' load does not inflate the way it inflates wall time: this
 * process's (process.cpuUsage) and, when PostgreSQL runs on this machine, that of the pool's
 * backends (utime + stime from /proc/<pid>/stat, sampled as connections come and go).
 */
const TICK_MS = 10; // USER_HZ = 100 on Linux
const backendTicks = (pid: number): number | null => {
  try {
    if (fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() !== "postgres") return null;
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
};
const backends = new Map<number, { first: number; last: number }>();
const poolPids = () =>
  ((pool() as unknown as { _clients: { processID: number | null }[] })._clients ?? [])
    .map((c) => c.processID)
    .filter((p): p is number => !!p);
function sampleBackends() {
  for (const pid of poolPids()) {
    const t = backendTicks(pid);
    if (t === null) continue;
    const b = backends.get(pid);
    if (b) b.last = t;
    else backends.set(pid, { first: t, last: t });
  }
}
function cpuMeter() {
  const node0 = process.cpuUsage();
  backends.clear();
  sampleBackends();
  return () => {
    sampleBackends();
    const node = process.cpuUsage(node0);
    const local = backends.size > 0;
    let ticks = 0;
    for (const b of backends.values()) ticks += b.last - b.first;
    return { nodeMs: (node.user + node.system) / 1000, pgMs: local ? ticks * TICK_MS : null };
  };
}

// Peak RSS: the kernel's high-water mark, plus sampling so a phase's own peak can be told apart.
let sampledPeak = 0;
let atPeak: NodeJS.MemoryUsage | null = null;
const sample = () => {
  const rss = process.memoryUsage.rss();
  if (rss > sampledPeak) {
    sampledPeak = rss;
    atPeak = process.memoryUsage();
  }
  sampleBackends();
};
const sampler = setInterval(sample, 50);
const mb = (bytes: number) => Math.round((bytes / 1024 / 1024) * 10) / 10;
const maxRssBytes = () => process.resourceUsage().maxRSS * 1024;

const mismatches: string[] = [];

/** Reads one org's export to the end, as the HTTP adapter would, counting bytes and lines. */
async function exportOrg(org: Org): Promise<Run> {
  const started = performance.now();
  const reader = (await openStream(org)).getReader();
  let bytes = 0;
  let lines = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (let i = value.indexOf(10); i !== -1; i = value.indexOf(10, i + 1)) lines++;
  }
  const ms = performance.now() - started;
  // One line per ticket (plus the CSV header); the bench data has no subject with a line break.
  // Another session writing to the same database (npm run bench creates tickets) can change an
  // org during its export, so a difference is reported rather than fatal; a broken export shows
  // up as many.
  const rows = args.format === "csv" ? lines - 1 : lines;
  if (rows !== org.tickets) mismatches.push(`${org.slug}: ${rows} lines for ${org.tickets} tickets counted before`);
  return { rows, bytes, ms };
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const load = () =>
  os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ");
say(
  `bench:export — ${args.format}, ${orgs.length} org(s), ${fmtInt(orgs.reduce((s, o) => s + o.tickets, 0))} tickets, via ${args.route ? "the route handler" : "ticketExportStream"} (load ${load()})`,
);
const baselineRss = process.memoryUsage.rss();
say(`process RSS before exporting: ${mb(baselineRss)} MB`);

sampledPeak = 0;
const big = await exportOrg(largest);
const bigPeak = Math.max(sampledPeak, process.memoryUsage.rss());
const rate = (r: Run) => (r.rows / r.ms) * 1000;
say(
  `largest org ${largest.slug}: ${fmtInt(big.rows)} rows, ${fmtBytes(big.bytes)} in ${(big.ms / 1000).toFixed(2)} s = ${fmtInt(rate(big))} rows/s, peak RSS ${mb(bigPeak)} MB (load ${load()})`,
);

const total: Run = { rows: 0, bytes: 0, ms: 0 };
const loadBefore = load();
const cpu = cpuMeter();
const t0 = performance.now();
let decile = 0;
for (const [i, org] of orgs.entries()) {
  const r = await exportOrg(org);
  total.rows += r.rows;
  total.bytes += r.bytes;
  if (Math.floor(((i + 1) * 10) / orgs.length) > decile) {
    decile = Math.floor(((i + 1) * 10) / orgs.length);
    const ms = performance.now() - t0;
    say(
      `  ${String(i + 1).padStart(5)}/${orgs.length} orgs  ${fmtInt(total.rows).padStart(9)} rows  ${fmtInt((total.rows / ms) * 1000).padStart(7)} rows/s  RSS ${mb(process.memoryUsage.rss())} MB`,
    );
  }
}
total.ms = performance.now() - t0;
const cpuMs = cpu();
clearInterval(sampler);
sample();
const peakRss = Math.max(sampledPeak, maxRssBytes());
const loadAfter = load();

const result = {
  format: args.format,
  rows: total.rows,
  seconds: Math.round(total.ms) / 1000,
  rowsPerSec: Math.round(rate(total)),
  peakRssMb: mb(peakRss),
  largestOrg: {
    slug: largest.slug,
    rows: big.rows,
    seconds: Math.round(big.ms) / 1000,
    rowsPerSec: Math.round(rate(big)),
    peakRssMb: mb(bigPeak),
    bytes: big.bytes,
  },
  orgs: orgs.length,
  bytes: total.bytes,
  baselineRssMb: mb(baselineRss),
  via: args.route ? "route" : "stream",
  cpuUsPerRow: {
    node: round2((cpuMs.nodeMs * 1000) / total.rows),
    postgres: cpuMs.pgMs === null ? null : round2((cpuMs.pgMs * 1000) / total.rows),
  },
  loadAvg: { before: loadBefore, after: loadAfter },
  countMismatches: mismatches.length,
};
say(
  `all ${orgs.length} org(s): ${fmtInt(total.rows)} rows, ${fmtBytes(total.bytes)} in ${(total.ms / 1000).toFixed(1)} s = ${fmtInt(result.rowsPerSec)} rows/s, peak RSS ${result.peakRssMb} MB (baseline ${result.baselineRssMb} MB; load ${loadBefore} → ${loadAfter})`,
);
say(
  `CPU per row: node ${result.cpuUsPerRow.node} µs, PostgreSQL ${result.cpuUsPerRow.postgres ?? "n/a (not on this machine)"} µs (${fmtInt(cpuMs.nodeMs)} ms + ${cpuMs.pgMs === null ? "?" : fmtInt(cpuMs.pgMs)} ms of CPU in ${fmtInt(total.ms)} ms)`,
);
if (atPeak) {
  const m = atPeak as NodeJS.MemoryUsage;
  say(
    `at the sampled peak (${mb(m.rss)} MB): V8 heap ${mb(m.heapUsed)} MB used of ${mb(m.heapTotal)} MB, buffers ${mb(m.arrayBuffers)} MB, other external ${mb(m.external - m.arrayBuffers)} MB`,
  );
}
if (mismatches.length > 0)
  say(
    `line count differs from the ticket count for ${mismatches.length} org(s): ${mismatches.slice(0, 5).join("; ")}${mismatches.length > 5 ? "; …" : ""}`,
  );
say(
  `SPEC §9 bar (≥ 50,000 rows/s, < 200 MB RSS): ${result.rowsPerSec >= 50_000 && result.peakRssMb < 200 ? "met" : "NOT met"}`,
);
if (args.json) console.log(JSON.stringify(result));
await closeDb();
await booted.shutdown();
process.exit(0);
