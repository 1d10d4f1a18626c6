import fs from "node:fs";
import { BARS } from "./bars";
import { fmtInt } from "./db";
import type { HttpLoadReport, ScenarioResult } from "../http-load";
import type { SlaScanReport } from "../sla-scan";
import type { AuditVerifyReport } from "../audit-verify";
import type { InboundReport, InboundRssReport } from "../inbound";
import type { AutomationReport } from "../automation";
import type { ImportBenchReport } from "../import";
import type { ProfileSummary } from "./cpu-profile";

// docs/benchmarks.md: npm run bench writes the block between the markers; everything outside them
// (the analysis of missed figures, written by people) is kept as it is.

export const START = "<!-- bench:results:start (written by npm run bench; edits inside are overwritten) -->";
export const END = "<!-- bench:results:end -->";

export type Section<T> = { ok: true; data: T; ms: number } | { ok: false; reason: string; ms?: number };
export type SlaSize = {
  label: string;
  database: string;
  generate: { seconds: number; line: string } | null;
  report: SlaScanReport;
};
export type ExportReport = {
  format: string;
  rows: number;
  seconds: number;
  rowsPerSec: number;
  peakRssMb: number;
  largestOrg?: { slug: string; rows: number; seconds: number; rowsPerSec: number; peakRssMb: number };
  orgs?: number;
  baselineRssMb?: number;
  via?: string;
  cpuUsPerRow?: { node: number; postgres: number | null };
  loadAvg?: { before: string; after: string };
};

export type Machine = {
  date: string;
  cpus: number;
  model: string;
  ramGb: number;
  node: string;
  os: string;
  postgres: string;
  pgSettings: Record<string, string>;
  commit: string;
  dirty: number;
  loadStart: string;
  loadEnd: string;
  uptime: string;
};
export type Dataset = {
  orgs: number;
  tickets: number;
  comments: number;
  largestOrg: { slug: string; tickets: number };
  database: string;
};

export type BenchResults = {
  machine: Machine;
  dataset: Dataset;
  quick: boolean;
  command: string;
  totalSeconds: number;
  http?: Section<HttpLoadReport>;
  sla?: Section<SlaSize[]>;
  audit?: Section<AuditVerifyReport>;
  export?: Section<ExportReport>;
  explain?: Section<string[]>;
  inbound?: Section<{ throughput: InboundReport; rss: InboundRssReport }>;
  automation?: Section<AutomationReport>;
  import?: Section<ImportBenchReport[]>;
  generatorLog?: { file: string; line: string } | null;
};

export type Figure = {
  name: string;
  measured: string;
  bar: string;
  result: "PASS" | "MISSED" | "—" | "not available" | "failed";
  command: string;
};

const ms = (x: number) => `${x < 10 ? x.toFixed(1) : Math.round(x)} ms`;
const verdict = (ok: boolean): Figure["result"] => (ok ? "PASS" : "MISSED");
const unavailable = (s: Section<unknown> | undefined): Figure["result"] => (!s ? "not available" : "failed");
const why = (s: Section<unknown> | undefined) => (s && !s.ok ? s.reason : "not run (see --only)");

export function figures(r: BenchResults): Figure[] {
  const out: Figure[] = [];
  const http = r.http?.ok ? r.http.data : null;
  const sc = (id: string) => http?.scenarios.find((s) => s.id === id);
  const httpCmd = "`npm run bench -- --only http`";
  const lat = (s: ScenarioResult) =>
    `p95 **${ms(s.p95)}** (p50 ${ms(s.p50)}, p99 ${ms(s.p99)}) at ${fmtInt(s.reqPerSec)} req/s, ${s.connections} connections`;
  const add = (
    name: string,
    bar: string,
    command: string,
    get: () => { measured: string; ok: boolean | null; invalid?: string } | null,
    section: Section<unknown> | undefined,
  ) => {
    const v = get();
    out.push(
      v
        ? v.invalid
          ? { name, bar, command, measured: v.invalid, result: "failed" }
          : { name, bar, command, measured: v.measured, result: v.ok === null ? "—" : verdict(v.ok) }
        : { name, bar, command, measured: why(section), result: unavailable(section) },
    );
  };
  /** A load run whose answers were mostly errors measured the errors, not the endpoint. */
  const errors = (...ss: (ScenarioResult | undefined)[]) => {
    const bad = ss.filter((s): s is ScenarioResult => !!s && s.non2xx > 0.01 * s.responses);
    return bad.length
      ? bad
          .map(
            (s) =>
              `${s.id}: ${fmtInt(s.non2xx)} of ${fmtInt(s.responses)} responses not 2xx (${Object.entries(s.statusCodes)
                .map(([k, n]) => `${k}×${n}`)
                .join(", ")}); see the server log`,
          )
          .join("; ")
      : undefined;
  };
  // Latency bars are shown twice: unqueued (a closed loop as wide as the cores, still a few
  // hundred requests a second) and saturated (10 connections, where Little's law puts the mean
  // at 10 ÷ throughput). SPEC §9 names no load for its p95s; neither row hides the other.
  const latencyRows = (name: string, bar: number, id: string) => {
    add(
      `${name}, unqueued (2 connections)`,
      `p95 ≤ ${bar} ms`,
      httpCmd,
      () => {
        const p = sc(`${id}-paced`);
        return p ? { measured: lat(p), ok: p.p95 <= bar, invalid: errors(p) } : null;
      },
      r.http,
    );
    add(
      `${name}, saturated (10 connections)`,
      `p95 ≤ ${bar} ms`,
      httpCmd,
      () => {
        const s = sc(id);
        return s ? { measured: lat(s), ok: s.p95 <= bar, invalid: errors(s) } : null;
      },
      r.http,
    );
  };
  latencyRows("Ticket list, agent default view (`GET /api/v1/tickets`), HTTP edge", BARS.listP95Ms, "list");
  latencyRows("Search (`GET /api/v1/tickets?q=…`), HTTP edge", BARS.searchP95Ms, "search");
  add(
    "Create ticket + first comment (customer's POST, agent's reply), sustained",
    `≥ ${BARS.createPairsPerSec} pairs/s`,
    httpCmd,
    () => {
      const s = sc("create");
      const one = sc("create-1org");
      return s
        ? {
            measured: `**${fmtInt(s.unitsPerSec ?? 0)} pairs/s** over 10 orgs (p95 ${ms(s.p95)} per request)${one ? `; all in one org: ${fmtInt(one.unitsPerSec ?? 0)} pairs/s` : ""}`,
            ok: (s.unitsPerSec ?? 0) >= BARS.createPairsPerSec,
            invalid: errors(s, one),
          }
        : null;
    },
    r.http,
  );
  add(
    "List throughput ÷ bare `node:http` + `pg` server, same SQL, same run",
    `≥ ${BARS.listBareRatio}`,
    httpCmd,
    () =>
      http?.ratio
        ? {
            measured: `**${http.ratio.ratio.toFixed(2)}** (${fmtInt(http.ratio.app)} ÷ ${fmtInt(http.ratio.bare)} req/s${http.ratio.perRound.length > 1 ? `; rounds ${http.ratio.perRound.map((x) => x.toFixed(2)).join(", ")}` : ""})`,
            ok: http.ratio.ratio >= BARS.listBareRatio,
            invalid: errors(sc("list"), sc("list-bare")),
          }
        : null,
    r.http,
  );
  add(
    "Ticket page (`GET /api/v1/tickets/:id` + its comments), HTTP edge",
    "— (no bar)",
    httpCmd,
    () => {
      const s = sc("page");
      return s
        ? { measured: `${fmtInt(s.unitsPerSec ?? 0)} pages/s; per request ${lat(s)}`, ok: null, invalid: errors(s) }
        : null;
    },
    r.http,
  );

  const sizes = r.sla?.ok ? r.sla.data : null;
  const biggest = sizes?.at(-1);
  add(
    `SLA scan pass over all open tickets (${biggest ? fmtInt(biggest.report.stored.tickets) : "?"} tickets stored)`,
    `≤ ${BARS.slaPassMs} ms per pass`,
    "`npm run bench -- --only sla`",
    () => {
      if (!biggest) return null;
      const minute = minutePass(biggest.report);
      const worst = Math.max(biggest.report.idle.maxMs, minute?.ms ?? 0);
      return {
        measured: `idle **${ms(biggest.report.idle.medianMs)}** (max ${ms(biggest.report.idle.maxMs)}); one minute of dues (${minute?.tickets ?? "?"} tickets) **${minute ? ms(minute.ms) : "?"}**`,
        ok: worst <= BARS.slaPassMs,
      };
    },
    r.sla,
  );
  add(
    "SLA pass time follows tickets due, not tickets stored",
    "grows with due, flat with stored",
    "`npm run bench -- --only sla`",
    () => {
      if (!sizes || sizes.length === 0) return null;
      const pass1000 = sizes.map((s) => s.report.due.find((d) => d.requested === 1000)?.ms ?? NaN);
      const idle = sizes.map((s) => s.report.idle.medianMs);
      const flat =
        sizes.length > 1 &&
        Math.max(...idle) <= Math.min(...idle) + 20 &&
        Math.max(...pass1000) <= 2 * Math.min(...pass1000) + 20;
      return {
        measured: `idle ${sizes.map((s, i) => `${s.label}: ${ms(idle[i]!)}`).join(", ")}; 1,000 due ${sizes.map((s, i) => `${s.label}: ${Number.isNaN(pass1000[i]) ? "—" : ms(pass1000[i]!)}`).join(", ")}`,
        ok: sizes.length > 1 ? flat : null,
      };
    },
    r.sla,
  );
  const exp = r.export?.ok ? r.export.data : null;
  add(
    `Export of all tickets (${exp ? fmtInt(exp.rows) : "?"} rows, ${exp?.format ?? "csv"})`,
    `≥ ${fmtInt(BARS.exportRowsPerSec)} rows/s`,
    "`npm run bench:export -- --json`",
    () =>
      exp
        ? {
            measured: `**${fmtInt(exp.rowsPerSec)} rows/s** (${exp.seconds} s)`,
            ok: exp.rowsPerSec >= BARS.exportRowsPerSec,
          }
        : null,
    r.export,
  );
  add(
    "Export peak RSS",
    `< ${BARS.exportPeakRssMb} MB`,
    "`npm run bench:export -- --json`",
    () =>
      exp
        ? {
            measured: `**${exp.peakRssMb} MB**${exp.baselineRssMb ? ` (baseline ${exp.baselineRssMb} MB)` : ""}`,
            ok: exp.peakRssMb < BARS.exportPeakRssMb,
          }
        : null,
    r.export,
  );
  const audit = r.audit?.ok ? r.audit.data : null;
  add(
    `Audit chain verify (${audit ? fmtInt(audit.events) : "?"} events, one org)`,
    `≥ ${fmtInt(BARS.auditEventsPerSec)} events/s`,
    "`npm run bench -- --only audit`",
    () =>
      audit
        ? {
            measured: `**${fmtInt(audit.eventsPerSec)} events/s**${audit.valid ? "" : " (chain NOT valid)"}`,
            ok: audit.valid && audit.eventsPerSec >= BARS.auditEventsPerSec,
          }
        : null,
    r.audit,
  );

  const inbound = r.inbound?.ok ? r.inbound.data : null;
  const inRuns = inbound?.throughput.runs ?? [];
  // Judged as production runs it (decision 063): one worker process applying INBOUND_APPLY_CONCURRENCY
  // at once, the run of one process with the most at once; more processes are shown beside it.
  const best =
    inRuns
      .filter((x) => (x.processes ?? 1) === 1)
      .sort((a, b) => a.concurrency - b.concurrency)
      .at(-1) ?? inRuns.at(-1);
  add(
    `Inbound email parsed and applied (test corpus: new conversations and replies, ${best ? inboundShape(best) : "?"})`,
    `≥ ${BARS.inboundPerSec} messages/s`,
    "`npm run bench -- --only inbound`",
    () =>
      best
        ? {
            measured: `**${fmtInt(best.apply.perSec)} messages/s** (p95 ${ms(best.apply.p95Ms)} per message${inboundCeiling(best)}); ${inRuns
              .filter((x) => x !== best)
              .map((x) => `${inboundShape(x)}: ${fmtInt(x.apply.perSec)}/s`)
              .join(", ")}; stored ${fmtInt(best.store.perSec)}/s, end to end ${fmtInt(best.endToEndPerSec)}/s`,
            ok: best.apply.perSec >= BARS.inboundPerSec,
            invalid: Object.keys(best.outcomes).some((k) => k !== "ticket" && k !== "reply")
              ? `unexpected outcomes ${JSON.stringify(best.outcomes)}`
              : undefined,
          }
        : null,
    r.inbound,
  );
  const rss = inbound?.rss;
  add(
    `Inbound peak RSS, one ${rss ? (rss.messageBytes / 2 ** 20).toFixed(0) : "20"} MiB message with a ${rss ? (rss.attachmentBytes / 2 ** 20).toFixed(1) : "?"} MiB attachment, stored and applied`,
    "— (no bar)",
    "`npm run bench -- --only inbound`",
    () =>
      rss
        ? {
            measured: `**${Math.max(rss.maxRssMb, rss.peakRssMb)} MB** (the process's maxRSS; ${rss.baselineRssMb} MB before the intake, ${rss.peakRssMb} MB the highest 5-ms sample; ${rss.seconds} s; ${rss.outcome}, attachment ${rss.attachmentStored ? "stored" : "NOT stored"})`,
            ok: null,
            invalid:
              rss.outcome !== "ticket" || !rss.attachmentStored
                ? `the message was not applied as a ticket with its attachment (${rss.outcome})`
                : undefined,
          }
        : null,
    r.inbound,
  );

  const auto = r.automation?.ok ? r.automation.data : null;
  const trig = auto?.triggers;
  add(
    "Rule evaluation added to a ticket write, 50 active triggers (none matching)",
    `≤ ${BARS.triggersAddedP95Ms} ms p95`,
    "`npm run bench -- --only automation`",
    () =>
      trig
        ? {
            measured: `runTriggers() **+${trig.addedP95Ms.evaluating.runTriggers} ms** at p95 over 0 triggers; whole write: create ${signed(trig.addedP95Ms.evaluating.create)} ms, update ${signed(trig.addedP95Ms.evaluating.update)} ms at p95; 5 of the 50 matching and acting: runTriggers +${trig.addedP95Ms.acting.runTriggers} ms, create ${signed(trig.addedP95Ms.acting.create)} ms, update ${signed(trig.addedP95Ms.acting.update)} ms`,
            ok: trig.addedP95Ms.evaluating.runTriggers <= BARS.triggersAddedP95Ms,
          }
        : null,
    r.automation,
  );
  const tr = auto?.time;
  const minute = tr?.due.find((d) => d.minute);
  add(
    `Time-rule pass (automation-scan), ${tr ? fmtInt(tr.stored.ruleOrgs) : "?"} active rules over ${tr ? fmtInt(tr.stored.tickets) : "?"} tickets stored`,
    `≤ ${BARS.timeRulePassMs} ms per pass`,
    "`npm run bench -- --only automation`",
    () => {
      if (!tr) return null;
      const worst = Math.max(tr.idle.maxMs, minute?.ms ?? 0);
      return {
        measured: `steady **${ms(tr.idle.medianMs)}** (max ${ms(tr.idle.maxMs)}); one minute of matches (${minute?.fired ?? "?"} fired) **${minute ? ms(minute.ms) : "?"}**`,
        ok: worst <= BARS.timeRulePassMs,
      };
    },
    r.automation,
  );

  const imports = r.import?.ok ? r.import.data : [];
  const bigImport = imports.at(-1);
  const smallImport = imports.length > 1 ? imports[0] : undefined;
  add(
    `Import of a generated Zendesk export (${bigImport ? fmtInt(bigImport.export.tickets) : "?"} tickets × 3 comments, users, companies, fields)`,
    `≥ ${fmtInt(BARS.importTicketsPerSec)} tickets/s`,
    "`npm run bench -- --only import`",
    () =>
      bigImport
        ? {
            measured: `**${fmtInt(bigImport.ticketsPerSec)} tickets/s** (${fmtInt(bigImport.commentsPerSec)} comments/s, ${fmtInt(bigImport.recordsPerSec)} records/s, ${bigImport.seconds} s); per ticket ${bigImport.perTicket.statements} statements, app CPU ${bigImport.perTicket.appCpuMs} ms, PostgreSQL CPU ${bigImport.perTicket.postgresCpuMs ?? "?"} ms`,
            ok: bigImport.ticketsPerSec >= BARS.importTicketsPerSec,
          }
        : null,
    r.import,
  );
  add(
    "Import memory: maxRSS at the larger export ÷ at the smaller",
    `≤ ${BARS.importRssGrowth} (constant memory)`,
    "`npm run bench -- --only import`",
    () =>
      bigImport && smallImport
        ? {
            measured: `**${(bigImport.rss.maxRssMb / smallImport.rss.maxRssMb).toFixed(2)}** (${fmtInt(smallImport.export.tickets)} tickets: ${smallImport.rss.maxRssMb} MB; ${fmtInt(bigImport.export.tickets)}: ${bigImport.rss.maxRssMb} MB, ${bigImport.rss.atQuarterMb.join(" / ")} MB at each quarter)`,
            ok: bigImport.rss.maxRssMb <= smallImport.rss.maxRssMb * BARS.importRssGrowth,
          }
        : null,
    r.import,
  );
  return out;
}

const signed = (x: number) => (x >= 0 ? `+${x}` : `${x}`);

/** The pass that handled one minute's worth of newly due tickets (the `minute` entry of --due). */
export function minutePass(rep: SlaScanReport) {
  return rep.due.find((d) => d.minute);
}

function table(head: string[], rows: (string | number)[][]): string[] {
  return [
    `| ${head.join(" | ")} |`,
    `|${head.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ];
}

function profileLines(title: string, p: ProfileSummary): string[] {
  return [
    `**${title}** — ${p.wallMs} ms sampled, the thread busy ${p.busyPct} % of it. Self time by area (share of busy time): ` +
      p.areas
        .slice(0, 8)
        .map((a) => `${a.area} ${a.pct} %`)
        .join(", ") +
      ".",
    "",
    ...table(
      ["function (self time)", "area", "% of busy"],
      p.functions.slice(0, 12).map((f) => [`\`${f.fn.replace(/\|/g, "\\|")}\``, f.area, f.pct]),
    ),
    "",
  ];
}

export function renderResults(r: BenchResults): string {
  const m = r.machine;
  const d = r.dataset;
  const md: string[] = [START, ""];
  md.push(
    `Run ${m.date} by \`${r.command}\` in ${Math.round(r.totalSeconds / 6) / 10} min${r.quick ? " (**--quick**: a smoke run, not the SPEC figures)" : ""}.`,
    "",
    `- **Machine:** ${m.cpus} × ${m.model}, ${m.ramGb} GB RAM, ${m.os}; Node ${m.node}; ${m.postgres} (${Object.entries(
      m.pgSettings,
    )
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}); ` + `the app, PostgreSQL and the load generator on the same machine.`,
    `- **Load average** (1 / 5 / 15 min) at start ${m.loadStart} (\`${m.uptime}\`), at end ${m.loadEnd}. Every measurement below notes its own; above ~${m.cpus} the machine was shared with other work and the figures are pessimistic.`,
    `- **Code:** commit \`${m.commit}\`${m.dirty ? ` with ${m.dirty} uncommitted files in the tree` : ""}.`,
    `- **Data:** \`${d.database}\`: ${fmtInt(d.orgs)} orgs, ${fmtInt(d.tickets)} tickets, ${fmtInt(d.comments)} comments; largest org \`${d.largestOrg.slug}\` (${fmtInt(d.largestOrg.tickets)} tickets).`,
    "",
    "### Figures against SPEC §9",
    "",
    ...table(
      ["figure", "measured", "SPEC §9 bar", "result", "reproduce"],
      figures(r).map((f) => [f.name, f.measured, f.bar, f.result === "MISSED" ? "**MISSED**" : f.result, f.command]),
    ),
    "",
  );

  if (r.http?.ok) {
    const h = r.http.data;
    md.push(
      "### HTTP load",
      "",
      `autocannon (in the runner) → the production build served by \`scripts/bench/app-server.ts\` (\`serveNext\`, NODE_ENV=production, ${h.server.poolMax} pooled connections, ` +
        `log level ${h.server.logLevel}, rate limits raised for the run, rate-limit store ${h.server.rateLimitStore}, job worker ${h.server.worker}). ` +
        `${h.settings.connections} connections, ${h.settings.duration} s per run after ${h.settings.warmup} s of warm-up; list and bare alternate for ${h.settings.rounds} rounds. ` +
        `Callers: ${h.agents} agents' API tokens in ${h.orgs.length} orgs (${h.orgs
          .slice(0, 3)
          .map((o) => `${o.slug} ${fmtInt(o.tickets)}`)
          .join(", ")} … ${h.orgs.at(-1)?.slug} ${fmtInt(h.orgs.at(-1)?.tickets ?? 0)} tickets), ` +
        "each request from a random one; search terms, ticket ids and new tickets' text drawn at random from the generator's corpus. " +
        "CPU per request is from /proc: the server process, the PostgreSQL backends of this database, the load generator.",
      "",
      ...table(
        [
          "scenario",
          "req/s",
          "p50",
          "p95",
          "p99",
          "max",
          "non-2xx",
          "CPU ms/request: server / PostgreSQL / autocannon",
          "load avg after",
        ],
        h.scenarios.map((s) => [
          `${s.label}${s.unit ? ` (**${fmtInt(s.unitsPerSec ?? 0)} ${s.unit}/s**)` : ""}`,
          fmtInt(s.reqPerSec),
          ms(s.p50),
          ms(s.p95),
          ms(s.p99),
          ms(s.max),
          s.non2xx,
          `${s.cpuMsPerRequest.server ?? "?"} / ${s.cpuMsPerRequest.postgres ?? "?"} / ${s.cpuMsPerRequest.loadGen}`,
          s.load.after,
        ]),
      ),
      "",
      "<details><summary>The bare server's SQL (captured from confirmClaim + listTickets; parameters in angle brackets are the request's)</summary>",
      "",
      "```sql",
      ...h.bareSql,
      "```",
      "",
      "</details>",
      "",
    );
  }

  if (r.sla?.ok) {
    const sizes = r.sla.data;
    const dueNs = [
      ...new Set(sizes.flatMap((s) => s.report.due.filter((d) => d.explicit).map((d) => d.requested))),
    ].sort((a, b) => a - b);
    md.push(
      "### SLA scan",
      "",
      "`unsafeScanSlas()` (the `sla-scan` job) timed on databases of three sizes (the smaller ones generated for the run by `npm run bench:generate -- --scale 0.01 / 0.1` and dropped afterwards). " +
        "Idle: nothing due. N due: N open tickets across all orgs made due now (first response 10 minutes late) before one pass; then restored, their events and jobs deleted " +
        "(up to 1,000 due: the median of three such passes). " +
        '"One minute of dues" is N = the tickets whose next SLA check falls within the next minute at that size.',
      "",
      ...table(
        [
          "tickets stored (open / SLA check pending)",
          "catch-up pass",
          "idle pass median (max)",
          "one minute of dues",
          ...dueNs.map((n) => `${fmtInt(n)} due`),
          "next pass after",
        ],
        sizes.map((s) => [
          `${s.label}: ${fmtInt(s.report.stored.tickets)} (${fmtInt(s.report.stored.open)} / ${fmtInt(s.report.stored.withNextCheck)}); ${fmtInt(s.report.stored.duePerMinute)} due per minute`,
          `${ms(s.report.catchUp.ms)} (${fmtInt(s.report.catchUp.tickets)} tickets)`,
          `${ms(s.report.idle.medianMs)} (${ms(s.report.idle.maxMs)})`,
          (() => {
            const p = minutePass(s.report);
            return p ? `${ms(p.ms)} (${fmtInt(p.tickets)} visited)` : "—";
          })(),
          ...dueNs.map((n) => {
            const p = s.report.due.find((x) => x.requested === n && x.explicit);
            return p ? `${ms(p.ms)} (${fmtInt(p.tickets)} visited, ${p.batches} batches)` : "—";
          }),
          s.report.due.map((p) => ms(p.nextIdleMs)).join(", "),
        ]),
      ),
      "",
    );
    const gens = sizes.filter((s) => s.generate);
    if (gens.length || r.generatorLog) {
      md.push(
        "### Generator",
        "",
        ...gens.map(
          (s) =>
            `- ${s.label} (\`npm run bench:generate -- --scale ${s.label === "10k" ? "0.01" : "0.1"}\`, in this run): ${s.generate!.line}`,
        ),
      );
      if (r.generatorLog)
        md.push(
          `- 1M (\`npm run bench:generate -- --scale 1\`, from \`${r.generatorLog.file}\`): ${r.generatorLog.line}`,
        );
      md.push("");
    }
  }

  if (r.audit?.ok) {
    const a = r.audit.data;
    md.push(
      "### Audit verify",
      "",
      `\`verifyChainParallel()\` over the chain of \`${a.org}\` (${fmtInt(a.events)} events, ${a.valid ? "valid" : "NOT VALID"}) in ${a.parts} seq ranges, each in a worker thread and its own tenant transaction, as \`npm run audit:verify\` runs it. ` +
        `First run ${a.cold.seconds} s (${fmtInt(a.cold.eventsPerSec)} events/s); then ${a.runs.map((x) => `${x.seconds} s (${fmtInt(x.eventsPerSec)}/s)`).join(", ")}.` +
        ` One single walk (\`verifyChain()\`, as GET /api/v1/audit/verify runs it): ${a.single.seconds} s (${fmtInt(a.single.eventsPerSec)}/s).` +
        (a.generated
          ? ` The chain was extended by ${fmtInt(a.generated.events)} events in ${a.generated.seconds} s for this run.`
          : "") +
        ` Load ${a.load.before} → ${a.load.after}.`,
      "",
    );
  }

  if (r.export?.ok) {
    const e = r.export.data;
    md.push(
      "### Export",
      "",
      `\`npm run bench:export -- --json\` (${e.via ?? "stream"}, ${e.format}): ${fmtInt(e.rows)} rows of ${fmtInt(e.orgs ?? 0)} orgs in ${e.seconds} s = ${fmtInt(e.rowsPerSec)} rows/s, peak RSS ${e.peakRssMb} MB` +
        (e.largestOrg
          ? `; the largest org alone (${e.largestOrg.slug}, ${fmtInt(e.largestOrg.rows)} rows) ${fmtInt(e.largestOrg.rowsPerSec)} rows/s, peak RSS ${e.largestOrg.peakRssMb} MB`
          : "") +
        (e.cpuUsPerRow
          ? `; CPU per row: Node ${e.cpuUsPerRow.node} µs, PostgreSQL ${e.cpuUsPerRow.postgres ?? "?"} µs`
          : "") +
        (e.loadAvg ? `; load ${e.loadAvg.before} → ${e.loadAvg.after}` : "") +
        ".",
      "",
    );
  }

  if (r.inbound?.ok) {
    const { throughput: t, rss } = r.inbound.data;
    md.push(
      "### Inbound email",
      "",
      `\`scripts/bench/inbound.ts\`: the test corpus (tests/fixtures/email, ${t.corpus.newFixtures} new-conversation and ${t.corpus.replyFixtures} reply messages as Gmail, Outlook and Apple Mail write them), each with its own Message-ID and a sender from a pool, ` +
        `stored by the real \`storeInbound()\` (the intake's commit of the raw message and its job) and then parsed and applied by the real \`applyInbound()\` (the worker's email-inbound job) in the org \`${t.org}\`; ` +
        `replies answer ${t.corpus.seeded} conversations seeded first. "P processes × N at once": P applier processes with N callers each (one worker process applies INBOUND_APPLY_CONCURRENCY messages at once, 4 by default; decision 063). Statements are counted at \`pg.Client#query\`; CPU per message is the appliers' (app) and the database backends' (read from /proc), and 2,000 ms ÷ their sum is what 2 cores could apply at most.`,
      "",
      ...table(
        [
          "processes × at once",
          "messages (new / replies)",
          "stored/s (p95)",
          "parsed and applied/s (p95)",
          "end to end/s",
          "statements / commits per message: store, apply",
          "CPU per applied message: app, database",
          "outcomes",
          "slowest messages (median apply)",
          "load before → after",
        ],
        t.runs.map((x) => [
          inboundShape(x),
          `${x.messages} (${x.newConversations} / ${x.replies})`,
          `${fmtInt(x.store.perSec)} (${ms(x.store.p95Ms)})`,
          `**${fmtInt(x.apply.perSec)}** (${ms(x.apply.p95Ms)})`,
          fmtInt(x.endToEndPerSec),
          `${x.perMessage.store.statements} / ${x.perMessage.store.commits}, ${x.perMessage.apply.statements} / ${x.perMessage.apply.commits}`,
          `${ms(x.perMessage.apply.cpuMs)}, ${x.perMessage.apply.dbCpuMs == null ? "not read" : `${ms(x.perMessage.apply.dbCpuMs)} (at most ${fmtInt(2000 / (x.perMessage.apply.cpuMs + x.perMessage.apply.dbCpuMs))}/s on 2 cores)`}`,
          Object.entries(x.outcomes)
            .map(([k, n]) => `${k} ${n}`)
            .join(", "),
          x.byFixture
            .slice(0, 3)
            .map((f) => `${f.fixture} ${ms(f.medianMs)}`)
            .join(", "),
          `${x.load.before} → ${x.load.after}`,
        ]),
      ),
      "",
      `Peak RSS (\`inbound.ts --rss\`, a process of its own): one ${(rss.messageBytes / 2 ** 20).toFixed(1)} MiB message with a ${(rss.attachmentBytes / 2 ** 20).toFixed(1)} MiB PDF attachment (ATTACHMENT_MAX_BYTES raised above it, so it is stored, not refused), ` +
        `stored and applied in ${rss.seconds} s (${rss.outcome}, attachment ${rss.attachmentStored ? "stored" : "NOT stored"}): RSS ${rss.baselineRssMb} MB before (modules loaded, the message in memory), maxRSS (the kernel's high-water mark for the process) ${rss.maxRssMb} MB, highest 5-ms sample ${rss.peakRssMb} MB (the message is built line by line into one buffer, so building it does not set the maxRSS). Load ${rss.load.before} → ${rss.load.after}.`,
      "",
    );
  }

  if (r.automation?.ok) {
    const a = r.automation.data;
    md.push("### Automation", "");
    if (a.triggers) {
      const t = a.triggers;
      md.push(
        `\`scripts/bench/automation.ts\`: ${t.writes} writes per org through the real \`createTicket()\` (a customer's new ticket) and \`updateTicket()\` (an agent's priority change), each timed over its whole tenant transaction with the commit, the orgs taken in rotation; then \`runTriggers()\` alone on those tickets (an update changing the priority) in transactions rolled back. ` +
          `Load ${t.load.before} → ${t.load.after}.`,
        "",
        ...table(
          [
            "org",
            "active triggers (matching)",
            "create p50 / p95 / p99",
            "update p50 / p95 / p99",
            "runTriggers() alone p50 / p95 / p99",
            "rules fired per update",
          ],
          t.configs.map((c) => [
            `\`${c.slug}\``,
            `${c.triggers} (${c.matching})`,
            `${ms(c.create.p50)} / ${ms(c.create.p95)} / ${ms(c.create.p99)}`,
            `${ms(c.update.p50)} / ${ms(c.update.p95)} / ${ms(c.update.p99)}`,
            `${ms(c.evaluate.p50)} / ${ms(c.evaluate.p95)} / ${ms(c.evaluate.p99)}`,
            c.firedPerWrite,
          ]),
        ),
        "",
      );
    }
    if (a.time) {
      const t = a.time;
      md.push(
        `Time rules: \`unsafeScanAutomations()\` (the automation-scan job) with one rule ("hours since created ≥ 48 and not closed → add a tag") in each of the ${t.stored.ruleOrgs} largest orgs (${fmtInt(t.stored.ruleOrgTickets)} of the ${fmtInt(t.stored.tickets)} tickets stored; ${fmtInt(t.stored.anchors)} anchors), each marked scanned until a minute before the pass (the every-minute job's steady state). ` +
          `Steady: what fell due in that minute naturally. N due: N open tickets' \`created\` anchor moved into the minute's window, then restored (tag, firings and rules removed afterwards); one minute of matches = ${t.stored.minuteMatches} (the busiest day's tickets of those orgs ÷ 1,440).` +
          (t.anchorFill
            ? ` ticket_anchors was filled first (the data was loaded with triggers off): ${fmtInt(t.anchorFill.rows)} rows in ${t.anchorFill.seconds} s.`
            : "") +
          ` Load ${t.load.before} → ${t.load.after}.`,
        "",
        ...table(
          ["pass", "ms (runs)", "rules", "tickets tested", "fired"],
          [
            [`steady (median of ${t.idle.passes}; max ${ms(t.idle.maxMs)})`, ms(t.idle.medianMs), "", "", ""],
            ...t.due.map((d) => [
              `${fmtInt(d.requested)} due${d.minute ? " (one minute of matches)" : ""}`,
              `${ms(d.ms)}${d.runsMs.length > 1 ? ` (${d.runsMs.map(ms).join(", ")})` : ""}`,
              d.rules,
              d.tickets,
              d.fired,
            ]),
          ],
        ),
        "",
      );
    }
  }

  if (r.import?.ok) {
    const runs = r.import.data;
    md.push(
      "### Import",
      "",
      "`scripts/bench/import.ts`: a Zendesk account export generated for the run (`scripts/bench/lib/zendesk-export.ts`: tickets and users as NDJSON, 3 comments per ticket, one public by the customer, by email with a Message-ID on one ticket in five, an internal note and an agent's answer; about one body in ten with Markdown; tags, a dropdown and a text custom field, CCs on one ticket in ten; no attachments) " +
        'imported through the real `importRunner("zendesk")` (what `npm run import` and the import job run) into an org of its own, each size in its own process. ' +
        "Rates are over the whole import, every pass and the check report's sample included; statements and commits counted at `pg.Client#query`; CPU from `process.cpuUsage()` and, for PostgreSQL, the backends' /proc times.",
      "",
      ...table(
        [
          "tickets (comments, records)",
          "seconds",
          "tickets/s",
          "comments/s",
          "records/s",
          "tickets pass alone",
          "statements / commits per ticket",
          "CPU ms per ticket: app / PostgreSQL",
          "RSS MB: before, at each quarter, maxRSS",
          "load before → after",
        ],
        runs.map((x) => [
          `${fmtInt(x.export.tickets)} (${fmtInt(x.export.comments)}, ${fmtInt(x.export.records)})`,
          x.seconds,
          `**${fmtInt(x.ticketsPerSec)}**`,
          fmtInt(x.commentsPerSec),
          fmtInt(x.recordsPerSec),
          `${fmtInt(x.ticketPass.ticketsPerSec)}/s`,
          `${x.perTicket.statements} / ${x.perTicket.commits}`,
          `${x.perTicket.appCpuMs} / ${x.perTicket.postgresCpuMs ?? "?"}`,
          `${x.rss.baselineMb}, ${x.rss.atQuarterMb.join(" / ")}, ${x.rss.maxRssMb}`,
          `${x.load.before} → ${x.load.after}`,
        ]),
      ),
      "",
    );
  }

  if (r.explain?.ok && r.explain.data.length > 0) {
    md.push(
      "### Server-side SQL (EXPLAIN ANALYZE)",
      "",
      "`npm run bench:explain` in the same run: each statement the ticket API sends, explained in a request's tenant context. Plans: [benchmarks-explain.md](benchmarks-explain.md) (`-- --doc`); the index reasoning: [decision 008](decisions/008-ticket-indexes-and-search.md).",
      "",
      ...r.explain.data,
      "",
    );
  }

  const profiles: [string, ProfileSummary][] = [];
  if (r.http?.ok)
    for (const [id, p] of Object.entries(r.http.data.profiles))
      profiles.push([`Server CPU profile under the ${id} load (${p.seconds} s)`, p]);
  if (r.audit?.ok && r.audit.data.profile) profiles.push(["CPU profile of one audit verify run", r.audit.data.profile]);
  if (profiles.length) {
    md.push(
      "### Profiles of the missed figures",
      "",
      "Taken in the same run, right after the measurement (V8 sampling profiler in the measured process; idle time excluded).",
      "",
    );
    for (const [t, p] of profiles) md.push(...profileLines(t, p));
  }

  const failed = (["http", "sla", "audit", "export", "explain", "inbound", "automation", "import"] as const).filter(
    (k) => r[k] && !r[k]!.ok,
  );
  if (failed.length) {
    md.push("### Sections that did not complete", "");
    for (const k of failed) md.push(`- ${k}: ${(r[k] as { reason: string }).reason}`);
    md.push("");
  }
  md.push(END);
  return md.join("\n");
}

const SKELETON = `# Benchmarks

SPEC §9's non-functional bars, measured by \`npm run bench\` on the 1M-ticket data set. Reproduce:

\`\`\`sh
psql -h 127.0.0.1 -U postgres -c 'create database beacon_bench'
DATABASE_URL=postgres://postgres@127.0.0.1:5432/beacon_bench npm run bench:generate -- --scale 1
DATABASE_URL=postgres://postgres@127.0.0.1:5432/beacon_bench npm run bench
\`\`\`

`;

/** Replaces the generated block of `file` (creating the file if needed), keeping the rest. */
export function writeResults(file: string, block: string): void {
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : `${SKELETON}${START}\n${END}\n`;
  const s = text.indexOf(START);
  const e = text.indexOf(END);
  const next =
    s >= 0 && e > s
      ? text.slice(0, s) + block + text.slice(e + END.length)
      : `${text}${text.endsWith("\n") ? "" : "\n"}\n${block}\n`;
  fs.writeFileSync(file, next);
}

/** "1 process × 4 at once": how an inbound run applied (reports before decision 063 had no processes). */
function inboundShape(x: InboundReport["runs"][number]): string {
  const p = x.processes ?? 1;
  return `${p} process${p === 1 ? "" : "es"} × ${x.concurrency} at once`;
}

/** "; CPU-bound at most N/s on 2 cores": 2,000 ms of CPU a second over the app's and the database's CPU per message. */
function inboundCeiling(x: InboundReport["runs"][number]): string {
  const db = x.perMessage.apply.dbCpuMs;
  if (db === null || db === undefined || !x.perMessage.apply.cpuMs) return "";
  return `; CPU per message ${ms(x.perMessage.apply.cpuMs)} app + ${ms(db)} database, at most ${fmtInt(2000 / (x.perMessage.apply.cpuMs + db))}/s on 2 cores`;
}
