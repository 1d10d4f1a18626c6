// npm run bench — every figure of SPEC §9, measured on the database of DATABASE_URL and written to
// docs/benchmarks.md with the machine they were measured on. Each section runs in its own child
// process and reports one JSON line; a section that fails is reported as such and the rest goes on.
//
//   explain  server-side EXPLAIN ANALYZE of the ticket API's statements (scripts/bench/explain.ts)
//   http     autocannon against the production build: list, bare-server ratio, search, ticket page,
//            create + first comment (scripts/bench/http-load.ts); builds first when needed
//   sla      SLA scan passes at 10k / 100k / 1M tickets stored (scripts/bench/sla-scan.ts; the two
//            smaller databases are generated for the run and dropped after it)
//   audit    audit chain verify events/s over a 1M-event chain (scripts/bench/audit-verify.ts)
//   export   npm run bench:export -- --json (scripts/bench/export.ts)
//   inbound  inbound email stored and applied per second over the test corpus, by 1 and 2 applier
//            processes with 1 and 4 at once (judged: 1 process × 4, the worker's default; decision
//            063), with the app's and the database's CPU per message, and the peak RSS of one 20 MiB
//            message (scripts/bench/inbound.ts; a few minutes)
//   import   a generated Zendesk export of 2,000 and of 10,000 tickets (3 comments each) imported
//            through the real runner, each in its own process: tickets/s, statements and CPU per
//            ticket, peak RSS (scripts/bench/import.ts)
//   automation  what 50 triggers add to a ticket write, and a time-rule pass over every stored
//            ticket with one minute of matches (scripts/bench/automation.ts)
//
// See USAGE below and docs/benchmarks.md.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { parseArgs } from "node:util";
import pg from "pg";
import { buildIfNeeded } from "../lib/needs-build";
import { runChild, tailOf, tsNodeArgs } from "./lib/child";
import { describeUrl, fmtInt } from "./lib/db";
import { loadAvg } from "./lib/stats";
import {
  figures,
  renderResults,
  writeResults,
  type BenchResults,
  type Dataset,
  type ExportReport,
  type Machine,
  type Section,
  type SlaSize,
} from "./lib/report";
import type { HttpLoadReport } from "./http-load";
import type { SlaScanReport } from "./sla-scan";
import type { AuditVerifyReport } from "./audit-verify";
import type { InboundReport, InboundRssReport } from "./inbound";
import type { AutomationReport } from "./automation";
import type { ImportBenchReport } from "./import";

const SECTIONS = ["explain", "http", "sla", "audit", "export", "inbound", "automation", "import"] as const;
type SectionId = (typeof SECTIONS)[number];

const USAGE = `Usage: DATABASE_URL=postgres://… npm run bench -- [options]
  --only LIST         comma list of sections: ${SECTIONS.join(", ")} (default: all)
  --quick             CI smoke run: short load runs, no profiles, a 20k-event audit chain, the SLA
                      scan on this database only, 100 inbound messages, 50 trigger writes,
                      imports of 300 and 1,000 tickets;
                      does not write docs/benchmarks.md unless --write
  --write / --no-write  write the results into --out (default: write, except with --quick)
  --out FILE          default docs/benchmarks.md
  --duration S        seconds per HTTP load run (default 10; --quick 3)
  --connections N     autocannon connections (default 10)
  --audit-events N    length of the audit chain verified (default 1,000,000; --quick 20,000)
  --generate-log FILE the output of the npm run bench:generate that loaded this database, whose
                      "Done in …" line is reported as the generator's time
  --keep-sla-dbs      keep the 10k / 100k databases the SLA section generates (<db>_sla_10k, …)
  --from-json FILE    measure nothing: render the results a previous run saved (it prints where,
                      under .data/bench/) into --out again, e.g. after a change to the report

The database must hold the benchmark data and be reached as a superuser (like bench:generate):
  psql -h 127.0.0.1 -U postgres -c 'create database beacon_bench'
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/beacon_bench npm run bench:generate -- --scale 1   # 0.01 for a smoke run
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/beacon_bench npm run bench                         # --quick at 0.01`;

let opts: {
  only: SectionId[];
  quick: boolean;
  write: boolean;
  out: string;
  duration: number;
  connections: number;
  auditEvents: number;
  generateLog?: string;
  keepSlaDbs: boolean;
  fromJson?: string;
};
try {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      quick: { type: "boolean", default: false },
      write: { type: "boolean" },
      "no-write": { type: "boolean" },
      out: { type: "string", default: "docs/benchmarks.md" },
      duration: { type: "string" },
      connections: { type: "string", default: "10" },
      "audit-events": { type: "string" },
      "generate-log": { type: "string" },
      "keep-sla-dbs": { type: "boolean", default: false },
      "from-json": { type: "string" },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const only = values.only
    ? values.only
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [...SECTIONS];
  for (const s of only) if (!(SECTIONS as readonly string[]).includes(s)) throw new Error(`unknown section ${s}`);
  const quick = values.quick!;
  const duration = Number(values.duration ?? (quick ? 3 : 10));
  const connections = Number(values.connections);
  const auditEvents = Number(values["audit-events"] ?? (quick ? 20_000 : 1_000_000));
  if (!(duration >= 1 && duration <= 600)) throw new Error("--duration must be 1–600 seconds");
  if (!(Number.isInteger(connections) && connections >= 1 && connections <= 1000))
    throw new Error("--connections must be 1–1000");
  if (!(Number.isInteger(auditEvents) && auditEvents >= 2)) throw new Error("--audit-events must be an integer ≥ 2");
  if (values["generate-log"] && !fs.existsSync(values["generate-log"]))
    throw new Error(`--generate-log: no such file ${values["generate-log"]}`);
  opts = {
    only: only as SectionId[],
    quick,
    write: values["no-write"] ? false : (values.write ?? !quick),
    out: values.out!,
    duration,
    connections,
    auditEvents,
    generateLog: values["generate-log"],
    keepSlaDbs: values["keep-sla-dbs"]!,
    fromJson: values["from-json"],
  };
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}

if (opts.fromJson) {
  const saved = JSON.parse(fs.readFileSync(opts.fromJson, "utf8")) as BenchResults;
  writeResults(path.resolve(opts.out), renderResults(saved));
  console.log(`Rendered the run of ${saved.machine.date} from ${opts.fromJson} into ${opts.out}.`);
  process.exit(0);
}

const url = process.env.DATABASE_URL;
if (!url) {
  console.error(
    `npm run bench needs DATABASE_URL: a database loaded with the benchmark data (it never uses the embedded demo database).\n\n${USAGE}`,
  );
  process.exit(2);
}

const started = Date.now();
const say = (line: string) => console.log(line);
const sys = new pg.Client({ connectionString: url, application_name: "beacon-bench-run" });
await sys.connect();
const results: BenchResults = {
  machine: await machine(),
  dataset: await dataset(),
  quick: opts.quick,
  command: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`,
  totalSeconds: 0,
  generatorLog: opts.generateLog ? generatorLine(opts.generateLog) : null,
};
const d = results.dataset;
say(
  `Beacon bench on ${d.database}: ${fmtInt(d.orgs)} orgs, ${fmtInt(d.tickets)} tickets, ${fmtInt(d.comments)} comments (largest org ${d.largestOrg.slug}, ${fmtInt(d.largestOrg.tickets)}).`,
);
say(
  `Machine: ${results.machine.cpus} × ${results.machine.model}, ${results.machine.ramGb} GB, Node ${results.machine.node}, ${results.machine.postgres}; load ${results.machine.loadStart}; commit ${results.machine.commit}.`,
);
if (d.tickets >= 900_000 && opts.quick)
  say("(--quick on a full-size database: the figures are a smoke run, not the SPEC figures.)");
if (d.tickets < 900_000 && !opts.quick)
  say(
    `(This database holds ${fmtInt(d.tickets)} tickets; SPEC §9's figures are for 1,000,000: npm run bench:generate -- --scale 1.)`,
  );

let failed = 0;
const want = (s: SectionId) => opts.only.includes(s);
const section = async <T>(id: SectionId, fn: () => Promise<T>): Promise<Section<T>> => {
  say(`\n── ${id} (load ${loadAvg()}) ──`);
  const t0 = Date.now();
  try {
    const data = await fn();
    return { ok: true, data, ms: Date.now() - t0 };
  } catch (err) {
    failed++;
    const reason = err instanceof Error ? err.message : String(err);
    say(`  ${id} did not complete: ${reason}`);
    return { ok: false, reason, ms: Date.now() - t0 };
  }
};
/** Runs a bench script as a child and returns its JSON line, or throws with its last output lines. */
const child = async <T>(
  label: string,
  script: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs = 20 * 60_000,
): Promise<T> => {
  const r = await runChild<T>(label, tsNodeArgs(script, args), { env, timeoutMs });
  if (r.code !== 0 || !r.json) throw new Error(`${script} exited ${r.code}: ${tailOf(r)}`);
  return r.json;
};

try {
  if (want("explain")) {
    results.explain = await section("explain", async () => {
      const r = await runChild<never>(
        "explain",
        tsNodeArgs("scripts/bench/explain.ts", ["--runs", opts.quick ? "3" : "10"]),
        { quiet: true, timeoutMs: 15 * 60_000 },
      );
      if (r.code !== 0) throw new Error(`explain.ts exited ${r.code}: ${tailOf(r)}`);
      const after = r.stdout.slice(r.stdout.indexOf("=== Summary ==="));
      const lines = after.split("\n").filter((l) => l.startsWith("|"));
      say(`  ${lines.length - 2} statements explained.`);
      return lines;
    });
  }

  if (want("http")) {
    results.http = await section("http", async () => {
      await buildIfNeeded({ log: say });
      const args = [
        "--json",
        "--no-build",
        "--duration",
        String(opts.duration),
        "--connections",
        String(opts.connections),
      ];
      if (opts.quick) args.push("--warmup", "1", "--rounds", "1", "--no-profile", "--no-paced", "--orgs", "5");
      return child<HttpLoadReport>("http", "scripts/bench/http-load.ts", args);
    });
  }

  if (want("sla")) {
    results.sla = await section("sla", () => slaSection());
  }

  if (want("audit")) {
    results.audit = await section("audit", () =>
      child<AuditVerifyReport>("audit", "scripts/bench/audit-verify.ts", [
        "--json",
        "--events",
        String(opts.auditEvents),
        ...(opts.quick ? ["--runs", "2", "--no-profile"] : []),
      ]),
    );
  }

  if (want("export")) {
    if (!fs.existsSync(path.resolve("scripts/bench/export.ts"))) {
      results.export = {
        ok: false,
        reason: "not available: scripts/bench/export.ts (npm run bench:export) is not in this checkout",
      };
      say("\n── export: not available (no scripts/bench/export.ts) ──");
    } else {
      results.export = await section("export", async () => {
        const r = await runChild<ExportReport>("export", ["run", "-s", "bench:export", "--", "--json"], {
          command: "npm",
          timeoutMs: 20 * 60_000,
        });
        if (r.code !== 0 || !r.json) throw new Error(`npm run bench:export exited ${r.code}: ${tailOf(r)}`);
        return r.json;
      });
    }
  }
  if (want("inbound")) {
    results.inbound = await section("inbound", async () => {
      const throughput = await child<InboundReport>(
        "inbound",
        "scripts/bench/inbound.ts",
        ["--json", "--messages", opts.quick ? "100" : "400", "--concurrency", "1,4", "--processes", "1,2"],
        process.env,
        10 * 60_000,
      );
      // Its own process: the peak is the message's, not what the throughput runs left on the heap.
      const rss = await child<InboundRssReport>(
        "inbound rss",
        "scripts/bench/inbound.ts",
        ["--json", "--rss", "--big-mib", "20"],
        process.env,
        10 * 60_000,
      );
      return { throughput, rss };
    });
  }

  if (want("automation")) {
    results.automation = await section("automation", () =>
      child<AutomationReport>(
        "automation",
        "scripts/bench/automation.ts",
        ["--json", ...(opts.quick ? ["--writes", "50", "--due", "minute,10", "--rule-orgs", "3"] : [])],
        process.env,
        15 * 60_000,
      ),
    );
  }
  if (want("import")) {
    results.import = await section("import", async () => {
      // Each size in its own process, so each maxRSS is that import's alone: flat memory shows as
      // the same peak at both sizes.
      const sizes = opts.quick ? [300, 1000] : [2000, 10_000];
      const runs: ImportBenchReport[] = [];
      for (const n of sizes)
        runs.push(
          await child<ImportBenchReport>(
            `import ${n}`,
            "scripts/bench/import.ts",
            ["--json", "--tickets", String(n)],
            process.env,
            15 * 60_000,
          ),
        );
      return runs;
    });
  }
} finally {
  results.machine.loadEnd = loadAvg();
  results.totalSeconds = Math.round((Date.now() - started) / 1000);
  await sys.end().catch(() => undefined);
}

say("\n── Figures against SPEC §9 ──");
for (const f of figures(results))
  say(`  ${f.result.padEnd(13)} ${f.name.replace(/`/g, "")}: ${f.measured.replace(/\*\*/g, "")} (bar ${f.bar})`);
say(`\nDone in ${Math.round(results.totalSeconds / 6) / 10} min (load at end ${results.machine.loadEnd}).`);
const savedTo = path.resolve(
  process.env.BEACON_DATA_DIR ?? ".data",
  "bench",
  `results-${new Date().toISOString().slice(0, 19).replace(/[-:T]/g, "")}.json`,
);
fs.mkdirSync(path.dirname(savedTo), { recursive: true });
fs.writeFileSync(savedTo, JSON.stringify(results, null, 1));
say(`Raw results: ${path.relative(process.cwd(), savedTo)} (npm run bench -- --from-json <file> renders them again).`);
if (opts.write) {
  writeResults(path.resolve(opts.out), renderResults(results));
  say(`Wrote ${opts.out}.`);
} else {
  say(`Not written (${opts.quick ? "--quick" : "--no-write"}); add --write to update ${opts.out}.`);
}
process.exit(failed > 0 ? 1 : 0);

// ───────────────────────────────────────────────────────────────────────────────────────────────

async function slaSection(): Promise<SlaSize[]> {
  const sizes: SlaSize[] = [];
  const main = describeUrl(url!);
  const mainDb = new URL(url!).pathname.slice(1);
  // Databases of 10k and 100k tickets, generated for the run, when this one is the 1M data set.
  const subsets =
    !opts.quick && d.tickets >= 500_000
      ? [
          { label: "10k", scale: "0.01", due: "minute,100,1000" },
          { label: "100k", scale: "0.1", due: "minute,100,1000,10000" },
        ]
      : [];
  const created: string[] = [];
  try {
    for (const s of subsets) {
      const name = `${mainDb}_sla_${s.label}`;
      await sys.query(`drop database if exists ${ident(name)} with (force)`);
      await sys.query(`create database ${ident(name)}`);
      created.push(name);
      const u = new URL(url!);
      u.pathname = `/${name}`;
      const env = { ...process.env, DATABASE_URL: u.toString() };
      say(`  generating ${name} (npm run bench:generate -- --scale ${s.scale})…`);
      const g = await runChild<never>(
        `generate ${s.label}`,
        tsNodeArgs("scripts/bench/generate.ts", ["--scale", s.scale]),
        { env, quiet: true, timeoutMs: 15 * 60_000 },
      );
      if (g.code !== 0) throw new Error(`bench:generate --scale ${s.scale} exited ${g.code}: ${tailOf(g)}`);
      const line = g.stdout.split("\n").find((l) => l.startsWith("Done in")) ?? "";
      say(`  ${line}`);
      const report = await child<SlaScanReport>(
        `sla ${s.label}`,
        "scripts/bench/sla-scan.ts",
        ["--json", "--due", s.due],
        env,
      );
      sizes.push({ label: s.label, database: name, generate: { seconds: g.ms / 1000, line }, report });
    }
    const label =
      d.tickets >= 1_000_000
        ? `${Math.round(d.tickets / 1e5) / 10}M`
        : d.tickets >= 1000
          ? `${Math.round(d.tickets / 1000)}k`
          : String(d.tickets);
    const report = await child<SlaScanReport>(`sla ${label}`, "scripts/bench/sla-scan.ts", [
      "--json",
      "--due",
      opts.quick ? "minute,100" : "minute,100,1000,10000",
    ]);
    sizes.push({ label, database: main, generate: null, report });
  } finally {
    if (!opts.keepSlaDbs)
      for (const name of created)
        await sys.query(`drop database if exists ${ident(name)} with (force)`).catch(() => undefined);
  }
  return sizes;
}

async function machine(): Promise<Machine> {
  const v = await sys.query<{ v: string; sb: string; wm: string; ecs: string; jit: string; mc: string }>(
    `select split_part(version(), ' on ', 1) as v, current_setting('shared_buffers') as sb, current_setting('work_mem') as wm,
            current_setting('effective_cache_size') as ecs, current_setting('jit') as jit, current_setting('max_connections') as mc`,
  );
  const git = (args: string[]) => {
    try {
      return execFileSync("git", args, { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return "";
    }
  };
  const row = v.rows[0]!;
  let uptime = "";
  try {
    uptime = execFileSync("uptime", { encoding: "utf8" }).trim();
  } catch {
    uptime = `load average: ${loadAvg()}`;
  }
  return {
    date: new Date().toISOString().slice(0, 16).replace("T", " ") + " UTC",
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model.trim() ?? "unknown CPU",
    ramGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    postgres: row.v,
    pgSettings: {
      shared_buffers: row.sb,
      work_mem: row.wm,
      effective_cache_size: row.ecs,
      jit: row.jit,
      max_connections: row.mc,
    },
    commit: git(["rev-parse", "--short", "HEAD"]) || "unknown",
    dirty: git(["status", "--porcelain"]).split("\n").filter(Boolean).length,
    loadStart: loadAvg(),
    loadEnd: "",
    uptime,
  };
}

async function dataset(): Promise<Dataset> {
  const su = await sys.query<{ rolsuper: boolean }>("select rolsuper from pg_roles where rolname = current_user");
  if (!su.rows[0]?.rolsuper) {
    console.error(
      "npm run bench must connect as a superuser (as bench:generate does): it generates the SLA section's databases and cleans up after its load through the tables directly.",
    );
    process.exit(2);
  }
  const has = await sys.query("select to_regclass('public.tickets') as t");
  if (!(has.rows[0] as { t: string | null }).t) {
    console.error(`${describeUrl(url!)} has no Beacon schema. Load the benchmark data first:\n\n${USAGE}`);
    process.exit(2);
  }
  const r = await sys.query<{ orgs: number; tickets: number; comments: number; slug: string; largest: number }>(`
    select (select count(*) from orgs)::int as orgs, (select count(*) from tickets)::int as tickets, (select count(*) from comments)::int as comments,
           l.slug, l.ticket_seq as largest
    from (select slug, ticket_seq from orgs order by ticket_seq desc limit 1) l`);
  const x = r.rows[0];
  if (!x || x.tickets === 0) {
    console.error(`${describeUrl(url!)} holds no tickets. Load the benchmark data first:\n\n${USAGE}`);
    process.exit(2);
  }
  return {
    orgs: x.orgs,
    tickets: x.tickets,
    comments: x.comments,
    largestOrg: { slug: x.slug, tickets: x.largest },
    database: describeUrl(url!),
  };
}

function generatorLine(file: string): { file: string; line: string } | null {
  const line = fs
    .readFileSync(file, "utf8")
    .split("\n")
    .reverse()
    .find((l) => l.startsWith("Done in"));
  return line ? { file, line } : null;
}

function ident(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}
