import { execFileSync, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parser } from "@prometheus-io/lezer-promql";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { GET as metricsRoute } from "../../src/app/api/metrics/route";
import { newTicket } from "../helpers/api";
import { createWorld } from "../helpers/world";

// Issue 11 item 3: the shipped alert rules and dashboard. `promtool check rules` and
// `promtool test rules` run on them (Debian's prometheus package; .ci/run installs it), and every
// metric they name must be one that Beacon's /api/metrics really exposes.

const root = path.resolve(import.meta.dirname, "../..");
const rulesFile = path.join(root, "ops/prometheus/alerts.yml");
const rulesTestFile = path.join(root, "ops/prometheus/alerts.test.yml");
const dashboardFile = path.join(root, "ops/grafana/beacon.json");

/** Series Prometheus makes itself: `up` per scrape target, `ALERTS` per firing alert. */
const PROMETHEUS_OWN = new Set(["up", "ALERTS"]);

function findPromtool(): string | undefined {
  const r = spawnSync("sh", ["-c", "command -v promtool"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
const promtool = findPromtool();
const inCi = process.env.CI === "true";
if (!promtool && !inCi) {
  console.warn(
    "ops-alerts: promtool tests skipped: promtool is not installed (apt-get install prometheus; CI installs it and fails without it)",
  );
}

/** Metric names a PromQL expression selects (Grafana's interval variables read as 5m). */
function metricNames(expr: string): { names: string[]; error?: string } {
  const text = expr.replaceAll("$__rate_interval", "5m").replaceAll("$__interval", "1m").replaceAll("$instance", ".*");
  const tree = parser.parse(text);
  const names: string[] = [];
  let error: string | undefined;
  tree.iterate({
    enter(n) {
      if (n.type.isError) error ??= `syntax error at ${n.from}: ${text.slice(Math.max(0, n.from - 10), n.from + 10)}`;
      if (n.name === "Identifier" && n.node.parent?.name === "VectorSelector") names.push(text.slice(n.from, n.to));
    },
  });
  return { names, error };
}

/** Every metric name in a Prometheus text exposition; histograms and summaries add their suffixes. */
function exposedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split("\n")) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === "histogram") for (const s of ["_bucket", "_sum", "_count"]) names.add(name + s);
      if (kind === "summary") for (const s of ["_sum", "_count"]) names.add(name + s);
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

type Rules = { groups: { name: string; rules: { alert?: string; record?: string; expr: string }[] }[] };

function alertExprs(): { where: string; expr: string }[] {
  const rules = parseYaml(readFileSync(rulesFile, "utf8")) as Rules;
  return rules.groups.flatMap((g) =>
    g.rules.map((r) => ({ where: `alerts.yml ${r.alert ?? r.record}`, expr: r.expr })),
  );
}

type Panel = { title?: string; targets?: { expr?: string }[]; panels?: Panel[] };
function dashboardExprs(): { where: string; expr: string }[] {
  const d = JSON.parse(readFileSync(dashboardFile, "utf8")) as {
    panels: Panel[];
    annotations?: { list: { name: string; expr?: string }[] };
  };
  const out: { where: string; expr: string }[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      for (const t of p.targets ?? []) if (t.expr) out.push({ where: `beacon.json panel "${p.title}"`, expr: t.expr });
      walk(p.panels ?? []);
    }
  };
  walk(d.panels);
  for (const a of d.annotations?.list ?? [])
    if (a.expr) out.push({ where: `beacon.json annotation "${a.name}"`, expr: a.expr });
  return out;
}

function unexposed(exprs: { where: string; expr: string }[], exposed: Set<string>): string[] {
  const problems: string[] = [];
  for (const { where, expr } of exprs) {
    const { names, error } = metricNames(expr);
    if (error) problems.push(`${where}: ${error}`);
    if (names.length === 0) problems.push(`${where}: names no metric`);
    for (const n of names)
      if (!exposed.has(n) && !PROMETHEUS_OWN.has(n)) problems.push(`${where}: ${n} is not exposed by /api/metrics`);
  }
  return problems;
}

describe("alert rules and dashboard name only metrics /api/metrics exposes", () => {
  let exposed: Set<string>;
  beforeAll(async () => {
    // A little real traffic, so the scrape is the one a running system gives.
    const w = await createWorld();
    await newTicket(w.customer);
    const res = await metricsRoute(new Request("http://x/api/metrics"));
    expect(res.status).toBe(200);
    exposed = exposedNames(await res.text());
  });

  it("the scrape is parsed into names, histogram suffixes included", () => {
    for (const n of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "http_request_duration_seconds_count",
      "jobs_dead_letters",
      "sla_scan_lag_seconds",
      "readiness_ok",
    ]) {
      expect(exposed.has(n), n).toBe(true);
    }
  });

  it("alerts.yml", () => {
    const exprs = alertExprs();
    expect(exprs.length).toBeGreaterThanOrEqual(10);
    expect(unexposed(exprs, exposed)).toEqual([]);
  });

  it("alerts.test.yml feeds series with the names Beacon exposes", () => {
    const t = parseYaml(readFileSync(rulesTestFile, "utf8")) as { tests: { input_series: { series: string }[] }[] };
    const series = t.tests.flatMap((x, i) =>
      x.input_series.map((s) => ({ where: `alerts.test.yml test ${i + 1}`, expr: s.series })),
    );
    expect(series.length).toBeGreaterThanOrEqual(20);
    expect(unexposed(series, exposed)).toEqual([]);
  });

  it("ops/grafana/beacon.json", () => {
    const exprs = dashboardExprs();
    expect(exprs.length).toBeGreaterThanOrEqual(15);
    expect(unexposed(exprs, exposed)).toEqual([]);
  });

  it("the check catches a misspelt or invented metric and a broken expression", () => {
    const problems = unexposed(
      [
        { where: "a", expr: 'sum(rate(http_request_total{status=~"5.."}[5m])) > 0' },
        { where: "b", expr: "inbound_email_lag_seconds > 600" },
        { where: "c", expr: "max(jobs_dead_letters" },
        { where: "d", expr: 'up{job="beacon"} == 0 and rate(http_request_duration_seconds_sum[5m]) > 1' },
      ],
      exposed,
    );
    expect(problems).toEqual([
      "a: http_request_total is not exposed by /api/metrics",
      "b: inbound_email_lag_seconds is not exposed by /api/metrics",
      expect.stringMatching(/^c: syntax error/),
    ]);
  });
});

describe("the runbook", () => {
  it("explains every shipped alert, and no alert that is not shipped", () => {
    const rules = parseYaml(readFileSync(rulesFile, "utf8")) as Rules;
    const shipped = rules.groups
      .flatMap((g) => g.rules.map((r) => r.alert))
      .filter(Boolean)
      .sort();
    const runbook = readFileSync(path.join(root, "docs/runbooks.md"), "utf8");
    const documented = [...runbook.matchAll(/^\| `(Beacon[A-Za-z0-9]+)` \(/gm)].map((m) => m[1]).sort();
    expect(documented).toEqual(shipped);
  });
});

describe.skipIf(!promtool && !inCi)("promtool", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "beacon-promtool-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (args: string[], cwd = root) => spawnSync(promtool!, args, { cwd, encoding: "utf8" });

  it("is installed (CI installs Debian's prometheus package)", () => {
    expect(promtool, "promtool is missing: .ci/run installs it with apt-get install prometheus").toBeTruthy();
    expect(execFileSync(promtool!, ["--version"], { encoding: "utf8" })).toMatch(/promtool, version/);
  });

  it("check rules: the rules are valid", () => {
    const r = run(["check", "rules", rulesFile]);
    expect(r.stdout + r.stderr).toMatch(/SUCCESS: \d+ rules found/);
    expect(r.status).toBe(0);
  });

  it("test rules: each alert fires on Beacon-shaped series and stays quiet on healthy ones", () => {
    const r = run(["test", "rules", rulesTestFile]);
    expect(r.stdout + r.stderr).toContain("SUCCESS");
    expect(r.status).toBe(0);
  });

  it("the rule tests would catch a loosened threshold", () => {
    copyFileSync(rulesTestFile, path.join(dir, "alerts.test.yml"));
    const rules = readFileSync(rulesFile, "utf8");
    const loosened = rules.replace("max(sla_scan_lag_seconds) > 300", "max(sla_scan_lag_seconds) > 3600");
    expect(loosened).not.toBe(rules);
    writeFileSync(path.join(dir, "alerts.yml"), loosened);
    const r = run(["test", "rules", "alerts.test.yml"], dir);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("BeaconSlaScanLagging");
  });
});
