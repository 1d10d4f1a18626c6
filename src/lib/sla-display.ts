// How an SLA metric reads on a badge, Zendesk-style: colour plus words, never colour alone.
// Pure (callers pass `now`), so the server's first render and the browser's ticking countdown agree.
import { slaState } from "@/server/sla/due-dates";

export type SlaMetric = { dueAt: string | null; fulfilledAt: string | null; breached: boolean; paused: boolean };
export type SlaTone = "ok" | "warning" | "breached" | "neutral";
/** Which symbol goes with the words (the badge draws it; colour is never the only cue). */
export type SlaSymbol = "running" | "warning" | "breached" | "met" | "paused" | "none";
export type SlaDisplay = { tone: SlaTone; text: string; symbol: SlaSymbol };

export const DEFAULT_WARNING_MINUTES = 15;

export const METRIC_LABELS = {
  firstResponse: "First response",
  nextResponse: "Next response",
  resolution: "Resolution",
} as const;
export type MetricKey = keyof typeof METRIC_LABELS;

/**
 * A duration as the countdown shows it. Under a day it keeps seconds when `seconds` is set
 * ("1h 05m 09s"), otherwise hours and minutes; beyond a day, days and hours.
 */
export function formatDuration(ms: number, seconds = true): string {
  const total = Math.max(0, Math.floor(Math.abs(ms) / 1000));
  const d = Math.floor(total / 86_400);
  const h = Math.floor((total % 86_400) / 3_600);
  const m = Math.floor((total % 3_600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return seconds ? `${h}h ${pad(m)}m ${pad(s)}s` : `${h}h ${pad(m)}m`;
  if (m > 0) return seconds ? `${m}m ${pad(s)}s` : `${m}m`;
  return seconds ? `${s}s` : "<1m";
}

/**
 * One metric's badge at `now`. `stopped`: the ticket is solved or closed, so an unfulfilled
 * metric no longer runs (it is shown as such, not as overdue forever).
 */
export function slaDisplay(
  m: SlaMetric,
  now: number,
  opts: { warningMinutes?: number; stopped?: boolean; seconds?: boolean } = {},
): SlaDisplay {
  if (!m.dueAt) return { tone: "neutral", text: "No target", symbol: "none" };
  const due = new Date(m.dueAt);
  const warn = (opts.warningMinutes ?? DEFAULT_WARNING_MINUTES) * 60;
  if (m.fulfilledAt) {
    return slaState(due, new Date(m.fulfilledAt), new Date(now), warn) === "fulfilled"
      ? { tone: "neutral", text: "Met", symbol: "met" }
      : {
          tone: "neutral",
          text: `Met late (${formatDuration(new Date(m.fulfilledAt).getTime() - due.getTime(), false)} over)`,
          symbol: "met",
        };
  }
  if (opts.stopped) return { tone: "neutral", text: "Not running", symbol: "none" };
  if (m.paused) return { tone: "neutral", text: "Paused", symbol: "paused" };
  const state = slaState(due, null, new Date(now), warn);
  const left = due.getTime() - now;
  const seconds = opts.seconds ?? true;
  if (state === "breached")
    return { tone: "breached", text: `Overdue ${formatDuration(left, seconds)}`, symbol: "breached" };
  if (state === "warning")
    return { tone: "warning", text: `Due in ${formatDuration(left, seconds)}`, symbol: "warning" };
  return { tone: "ok", text: `Due in ${formatDuration(left, seconds)}`, symbol: "running" };
}

/** The metric that matters most on a list row: the running one due (or overdue) first, else a paused one. */
export function mostUrgentMetric(
  sla: Partial<Record<MetricKey, SlaMetric>>,
): { key: MetricKey; metric: SlaMetric } | null {
  const running = (Object.entries(sla) as [MetricKey, SlaMetric | undefined][])
    .filter(
      (e): e is [MetricKey, SlaMetric] =>
        e[1] !== undefined && e[1].dueAt !== null && e[1].fulfilledAt === null && !e[1].paused,
    )
    .sort((a, b) => new Date(a[1].dueAt!).getTime() - new Date(b[1].dueAt!).getTime());
  const first = running[0];
  if (first) return { key: first[0], metric: first[1] };
  // Nothing running: a paused resolution clock is still worth showing ("Paused").
  return sla.resolution?.paused && !sla.resolution.fulfilledAt ? { key: "resolution", metric: sla.resolution } : null;
}
