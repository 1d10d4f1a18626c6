// Import speed for npm run bench (issue 17 item 6: ≥ 1,000 tickets with 3 comments each imported
// per second on 2 cores, in constant memory).
//
// A Zendesk account export of --tickets tickets (3 comments each, users, organizations, groups,
// memberships, ticket fields; scripts/bench/lib/zendesk-export.ts) is generated into a temporary
// directory, then imported through the real importRunner("zendesk") (what `npm run import` and
// the import job run) into an org made for this run (`bench-import-<run id>`, so every ticket
// number is free and kept, as in a first migration). Reported: tickets, comments and records per
// second over the whole import (every pass, the check report's sample comparison included);
// statements sent and commits per ticket (counted at pg.Client#query); this process's CPU per
// ticket (process.cpuUsage) and the PostgreSQL backends' (from /proc); the RSS before the import,
// sampled every 20 ms during it, at each quarter of the tickets, and the kernel's maxRSS, to show
// that memory stays flat whatever the export's size (run it at two sizes, each in its own process).
// The import's counts are checked: every ticket and comment imported, the sample equal.
// The org and its tickets stay (as bench-inbound's do); the generated export is removed.
//
// Usage: DATABASE_URL=postgres://… node scripts/run.mjs bench/import [--tickets 10000] [--batch-size N]
//          [--profile] [--keep-export] [--json]
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import inspector from "node:inspector";
import { randomBytes } from "node:crypto";
import { parseArgs } from "node:util";
import { countStatements } from "./lib/statement-count";
import { boot, migrate } from "../lib/boot";
import { closeDb } from "../../src/server/db/client";
import { setProcessEnv } from "../../src/server/env";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { createImport, DEFAULT_BATCH_SIZE } from "../../src/server/import/import-run";
import { importRunner } from "../../src/server/import/run-import";
import { writeZendeskExport, type GeneratedExport } from "./lib/zendesk-export";
import { connect, requireDatabaseUrl } from "./lib/db";
import { processCpuMs } from "./lib/proc-cpu";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./lib/cpu-profile";
import { loadAvg } from "./lib/stats";

export type ImportBenchReport = {
  org: string;
  batchSize: number;
  export: Omit<GeneratedExport, "dir">;
  seconds: number;
  ticketsPerSec: number;
  commentsPerSec: number;
  recordsPerSec: number;
  /** The tickets pass alone (from its first batch's start to its last commit). */
  ticketPass: { seconds: number; ticketsPerSec: number };
  perTicket: { statements: number; commits: number; appCpuMs: number; postgresCpuMs: number | null };
  rss: {
    baselineMb: number;
    peakSampledMb: number;
    maxRssMb: number;
    /** RSS after 25 %, 50 %, 75 % and 100 % of the tickets were committed. */
    atQuarterMb: number[];
  };
  imported: { tickets: number; comments: number; users: number; organizations: number; skipped: number };
  sampleDifferences: number;
  profile: (ProfileSummary & { file: string }) | null;
  load: { before: string; after: string };
};

let args: { tickets: number; batchSize: number; profile: boolean; keepExport: boolean; json: boolean };
try {
  const { values } = parseArgs({
    options: {
      tickets: { type: "string", default: "10000" },
      "batch-size": { type: "string", default: String(DEFAULT_BATCH_SIZE) },
      profile: { type: "boolean", default: false },
      "keep-export": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const tickets = Number(values.tickets);
  if (!(Number.isInteger(tickets) && tickets >= 10 && tickets <= 1_000_000))
    throw new Error("--tickets must be an integer from 10 to 1,000,000");
  const batchSize = Number(values["batch-size"]);
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= 5000))
    throw new Error("--batch-size must be an integer from 1 to 5000");
  args = {
    tickets,
    batchSize,
    profile: values.profile!,
    keepExport: values["keep-export"]!,
    json: values.json!,
  };
} catch (err) {
  console.error(
    `${err instanceof Error ? err.message : String(err)}\nUsage: DATABASE_URL=postgres://… node scripts/run.mjs bench/import [--tickets 10000] [--batch-size N] [--profile] [--keep-export] [--json]`,
  );
  process.exit(2);
}

const url = requireDatabaseUrl("bench");
// Statements and commits per ticket: how many round trips it costs.
const counted = countStatements();

const work = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-bench-import-"));
setProcessEnv({ LOG_LEVEL: "silent", BEACON_DATA_DIR: path.join(work, "data") });
const booted = await boot({ quiet: true });
await migrate(true);
const say = (line: string) => console.log(line);
const runId = randomBytes(3).toString("hex");
const slug = `bench-import-${runId}`;
let code = 0;
try {
  const report = await run();
  if (args.json) console.log(JSON.stringify(report));
} catch (err) {
  code = 1;
  console.error(`bench import failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await closeDb();
  await booted.shutdown();
  if (!args.keepExport) fs.rmSync(work, { recursive: true, force: true });
  else say(`export kept in ${work}`);
}
process.exit(code);

// ───────────────────────────────────────────────────────────────────────────────────────────────

async function run(): Promise<ImportBenchReport> {
  const gen = await writeZendeskExport(path.join(work, "export"), { tickets: args.tickets });
  say(
    `import: generated a Zendesk export of ${gen.tickets.toLocaleString("en-US")} tickets, ${gen.comments.toLocaleString("en-US")} comments, ${gen.users} users, ${gen.organizations} organizations (${(gen.bytes / 2 ** 20).toFixed(1)} MiB) in ${(gen.ms / 1000).toFixed(1)} s`,
  );
  const { org } = await bootstrapOrg({
    name: `Bench import ${runId}`,
    adminEmail: `admin@${slug}.test`,
    slug,
    timezone: "UTC",
  });
  const imp = await createImport(org.id, { sourceKind: "zendesk", source: gen.dir, createdBy: null });
  const runner = importRunner("zendesk")!;

  // The PostgreSQL backends of this database (the app's pool among them), for their CPU time.
  const sys = await connect(url, "beacon-bench-import-cpu");
  const backendCpu = async (): Promise<Map<number, number>> => {
    const r = await sys.query<{ pid: number }>(
      "select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()",
    );
    const out = new Map<number, number>();
    for (const { pid } of r.rows) {
      const ms = processCpuMs(pid);
      if (ms !== null) out.set(pid, ms);
    }
    return out;
  };

  (globalThis as { gc?: () => void }).gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const quarters: number[] = [];
  let nextQuarter = 1;
  let ticketStart = 0;
  let ticketEnd = 0;
  const before = loadAvg();
  const pg0 = await backendCpu();
  const c0 = { ...counted };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let lastOther = t0;
  const go = () =>
    runner({
      orgId: org.id,
      importId: imp.id,
      input: gen.dir,
      batchSize: args.batchSize,
      onProgress: (p) => {
        const now = performance.now();
        if (p.type !== "ticket") {
          lastOther = now;
          return;
        }
        ticketStart ||= lastOther;
        ticketEnd = now;
        while (nextQuarter <= 4 && p.records >= (gen.tickets * nextQuarter) / 4) {
          quarters.push(process.memoryUsage().rss);
          nextQuarter++;
        }
      },
    });
  let profile: ImportBenchReport["profile"] = null;
  let result: Awaited<ReturnType<typeof go>>;
  if (args.profile) {
    const p = await profiled(go);
    result = p.result;
    const file = path.join(os.tmpdir(), `beacon-bench-import-${runId}.cpuprofile`);
    fs.writeFileSync(file, JSON.stringify(p.profile));
    profile = { ...summarizeProfile(p.profile, 25), file };
  } else result = await go();
  const t1 = performance.now();
  const cpu1 = process.cpuUsage();
  const c1 = { ...counted };
  const pg1 = await backendCpu();
  clearInterval(sampler);
  peak = Math.max(peak, process.memoryUsage().rss);
  await sys.end();
  if (!result.finished) throw new Error("the import stopped before the end");

  const c = result.counts;
  const got = (type: string) => c[type]?.imported ?? 0;
  // The export's system field (Subject) is skipped by design: it goes to Beacon's own column.
  const skipped = Object.entries(c)
    .filter(([type]) => type !== "ticket_field")
    .reduce((n, [, k]) => n + Object.values(k.skipped).reduce((a, b) => a + b, 0), 0);
  const sampleDifferences = (result.report.ticketSample ?? []).reduce(
    (n, t) => n + Object.values(t.compared ?? {}).filter((x) => !x.equal).length,
    0,
  );
  if (got("ticket") !== gen.tickets || got("comment") !== gen.comments || skipped || sampleDifferences)
    throw new Error(
      `the import is not whole: ${got("ticket")} of ${gen.tickets} tickets, ${got("comment")} of ${gen.comments} comments, ${skipped} skipped, ${sampleDifferences} sample differences: ${JSON.stringify(c)}`,
    );
  let pgMs = 0;
  for (const [pid, ms] of pg1) pgMs += ms - (pg0.get(pid) ?? 0);
  const seconds = (t1 - t0) / 1000;
  const mb = (n: number) => Math.round((n / 2 ** 20) * 10) / 10;
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const { dir: _dir, ...exportInfo } = gen;
  const report: ImportBenchReport = {
    org: slug,
    batchSize: args.batchSize,
    export: exportInfo,
    seconds: Math.round(seconds * 100) / 100,
    ticketsPerSec: Math.round(gen.tickets / seconds),
    commentsPerSec: Math.round(gen.comments / seconds),
    recordsPerSec: Math.round(gen.records / seconds),
    ticketPass: {
      seconds: Math.round(ticketEnd - ticketStart) / 1000,
      ticketsPerSec: Math.round((gen.tickets * 1000) / (ticketEnd - ticketStart)),
    },
    perTicket: {
      statements: r1((c1.statements - c0.statements) / gen.tickets),
      commits: Math.round(((c1.commits - c0.commits) / gen.tickets) * 1000) / 1000,
      appCpuMs: Math.round((cpu1.user - cpu0.user + cpu1.system - cpu0.system) / 10 / gen.tickets) / 100,
      postgresCpuMs: pg1.size ? Math.round((pgMs / gen.tickets) * 100) / 100 : null,
    },
    rss: {
      baselineMb: mb(baseline),
      peakSampledMb: mb(peak),
      maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
      atQuarterMb: quarters.map(mb),
    },
    imported: {
      tickets: got("ticket"),
      comments: got("comment"),
      users: got("user"),
      organizations: got("organization"),
      skipped,
    },
    sampleDifferences,
    profile,
    load: { before, after: loadAvg() },
  };
  say(
    `import: ${gen.tickets.toLocaleString("en-US")} tickets in ${report.seconds} s = ${report.ticketsPerSec} tickets/s, ${report.commentsPerSec} comments/s, ${report.recordsPerSec} records/s ` +
      `(tickets pass alone ${report.ticketPass.ticketsPerSec}/s; batch ${args.batchSize}); per ticket ${report.perTicket.statements} statements, ${report.perTicket.commits} commits, ` +
      `app CPU ${report.perTicket.appCpuMs} ms, PostgreSQL CPU ${report.perTicket.postgresCpuMs ?? "?"} ms; RSS ${report.rss.baselineMb} MB before, ${report.rss.atQuarterMb.join(" / ")} MB at each quarter, ` +
      `peak ${report.rss.peakSampledMb} MB sampled (maxRSS ${report.rss.maxRssMb} MB); load ${before} → ${report.load.after}`,
  );
  if (profile)
    say(
      `profile (${profile.file}): busy ${profile.busyPct} %; ${profile.areas
        .slice(0, 8)
        .map((a) => `${a.area} ${a.pct} %`)
        .join(", ")}\n${profile.functions.map((f) => `  ${f.pct} %  ${f.fn}  [${f.area}]`).join("\n")}`,
    );
  return report;
}

/** Runs fn with this process's V8 CPU profiler on. */
async function profiled<T>(fn: () => Promise<T>): Promise<{ result: T; profile: CpuProfile }> {
  const session = new inspector.Session();
  session.connect();
  const post = <R>(method: string, params: object = {}) =>
    new Promise<R>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as R))),
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 500 });
  await post("Profiler.start");
  try {
    const result = await fn();
    return { result, profile: (await post<{ profile: CpuProfile }>("Profiler.stop")).profile };
  } finally {
    session.disconnect();
  }
}
