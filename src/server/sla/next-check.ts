// When the SLA scan next has something to do for a ticket (pure).
//
// Each running metric has two moments: entering the warning window (due − lead) and the due time.
// After a write, the next check is the earliest of them, even if already past, so the next scan
// records anything the write made due at once; the scan itself only looks forward, so a metric it
// has handled drops out and a ticket with nothing left running leaves the scan's index.

import { isFinished } from "../lifecycle/ticket-lifecycle";

export type SlaFieldsForCheck = {
  status: string;
  firstResponseDue: Date | null;
  firstResponseAt: Date | null;
  resolveDue: Date | null;
  resolvedAt: Date | null;
  slaPausedAt: Date | null;
  nextResponseDue: Date | null;
};

export type Metric = "first_response" | "resolution" | "next_response";

/** Metrics whose clock is running, with their due dates. */
export function runningMetrics(t: SlaFieldsForCheck): { metric: Metric; due: Date }[] {
  if (isFinished(t.status)) return [];
  const out: { metric: Metric; due: Date }[] = [];
  if (t.firstResponseDue && !t.firstResponseAt) out.push({ metric: "first_response", due: t.firstResponseDue });
  if (t.resolveDue && !t.resolvedAt && !t.slaPausedAt) out.push({ metric: "resolution", due: t.resolveDue });
  if (t.nextResponseDue) out.push({ metric: "next_response", due: t.nextResponseDue });
  return out;
}

export function nextCheckAt(
  t: SlaFieldsForCheck,
  leadSeconds: number,
  now: Date,
  mode: "after-write" | "after-scan",
): Date | null {
  let best: number | null = null;
  for (const { due } of runningMetrics(t)) {
    // A breach is recorded once now > due, so its moment is just after the due time.
    for (const at of [due.getTime() - leadSeconds * 1000, due.getTime() + 1]) {
      if (mode === "after-scan" && at <= now.getTime()) continue;
      if (best === null || at < best) best = at;
    }
  }
  return best === null ? null : new Date(best);
}

/** What the scan records for a metric at `now`: breach once due has passed, warn inside the window. */
export function dueEvent(due: Date, leadSeconds: number, now: Date): "warn" | "breach" | null {
  if (now.getTime() > due.getTime()) return "breach";
  if (now.getTime() >= due.getTime() - leadSeconds * 1000) return "warn";
  return null;
}
