// Printing the cluster run: the fault timeline, answers by operation and status, then the checks.
import type { Call, Ledger } from "./load";
import type { Check } from "./verify";

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : 0;

export function requestTable(ledger: Ledger): string[] {
  const ops = new Map<string, Call[]>();
  for (const c of ledger.calls) ops.set(c.op, [...(ops.get(c.op) ?? []), c]);
  const rows = [
    ["operation", "requests", "2xx", "4xx", "503", "other 5xx", "no answer", "p50 ms", "p95 ms", "p99 ms", "max ms"],
  ];
  const all: Call[] = [];
  for (const [op, calls] of [...ops].sort()) {
    rows.push(row(op, calls));
    all.push(...calls);
  }
  rows.push(row("all", all));
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) =>
    r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join("  "),
  );
}

function row(name: string, calls: Call[]): string[] {
  const ms = calls
    .filter((c) => c.status > 0)
    .map((c) => c.ms)
    .sort((a, b) => a - b);
  const n = (f: (c: Call) => boolean) => String(calls.filter(f).length);
  return [
    name,
    String(calls.length),
    n((c) => c.status >= 200 && c.status < 300),
    n((c) => c.status >= 400 && c.status < 500),
    n((c) => c.status === 503),
    n((c) => c.status >= 500 && c.status !== 503),
    n((c) => c.status === 0),
    String(pct(ms, 50)),
    String(pct(ms, 95)),
    String(pct(ms, 99)),
    String(ms.at(-1) ?? 0),
  ];
}

export function writesLine(ledger: Ledger): string {
  const by = (o: string) => ledger.writes.filter((w) => w.outcome === o).length;
  const acked = (op: string) => ledger.writes.filter((w) => w.op === op && w.outcome === "ack").length;
  return `writes: ${ledger.writes.length} sent, ${by("ack")} acknowledged (tickets ${acked("ticket.create")}, replies ${acked("comment.public")}, notes ${acked("comment.internal")}, updates ${acked("ticket.update")}), ${by("refused")} refused, ${by("unknown")} unanswered or 5xx`;
}

export function printChecks(checks: Check[], info: string[]): void {
  for (const c of checks) {
    console.log(`  ${c.ok ? "PASS" : "FAIL"}  ${c.name}`);
    console.log(`        ${c.detail}`);
    if (!c.ok) for (const e of c.evidence ?? []) console.log(`        - ${e}`);
  }
  for (const i of info) console.log(`  INFO  ${i}`);
}
