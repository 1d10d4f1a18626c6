// Display names for ticket enums and small formatting helpers shared by server and client UI.
// Pure: no I/O, no clock (callers pass `now`).

export const STATUS_LABELS = {
  new: "New",
  open: "Open",
  pending: "Pending",
  on_hold: "On hold",
  solved: "Solved",
  closed: "Closed",
} as const;

export const PRIORITY_LABELS = {
  low: "Low",
  normal: "Normal",
  high: "High",
  urgent: "Urgent",
} as const;

export const ROLE_LABELS = {
  admin: "Admin",
  agent: "Agent",
  customer: "Customer",
} as const;

export type StatusKey = keyof typeof STATUS_LABELS;
export type PriorityKey = keyof typeof PRIORITY_LABELS;

export const STATUS_KEYS = Object.keys(STATUS_LABELS) as StatusKey[];
export const PRIORITY_KEYS = Object.keys(PRIORITY_LABELS) as PriorityKey[];
export const ROLE_KEYS = Object.keys(ROLE_LABELS) as (keyof typeof ROLE_LABELS)[];

export const statusLabel = (s: string) => STATUS_LABELS[s as StatusKey] ?? s;
export const priorityLabel = (p: string) => PRIORITY_LABELS[p as PriorityKey] ?? p;

/** "3m ago", "5h ago", "2d ago"; dates older than a month as a short date. */
export function relativeTime(iso: string, now: number): string {
  const ms = now - new Date(iso).getTime();
  const s = Math.round(ms / 1000);
  if (s < 45) return "just now";
  const m = Math.round(s / 60);
  if (m < 60) return `${m}m ago`;
  const h = Math.round(m / 60);
  if (h < 24) return `${h}h ago`;
  const d = Math.round(h / 24);
  if (d < 31) return `${d}d ago`;
  return shortDate(iso);
}

/** "12 Mar 2026" in UTC (stable on server and client). */
export function shortDate(iso: string): string {
  return new Date(iso).toLocaleDateString("en-GB", {
    day: "numeric",
    month: "short",
    year: "numeric",
    timeZone: "UTC",
  });
}

/** "12 Mar 2026, 14:05 UTC": the server's rendering before the browser shows local time. */
export function utcDateTime(iso: string): string {
  return `${new Date(iso).toLocaleString("en-GB", { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "UTC" })} UTC`;
}

/** The same instant in the browser's own time zone. */
export function localDateTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, {
    day: "numeric",
    month: "short",
    year: "numeric",
    hour: "2-digit",
    minute: "2-digit",
  });
}

/** Tags typed as "billing, vip  urgent" → ["billing", "vip", "urgent"]. */
export function parseTags(input: string): string[] {
  return [
    ...new Set(
      input
        .split(/[,\s]+/)
        .map((t) => t.trim().toLowerCase())
        .filter(Boolean),
    ),
  ];
}

/**
 * The tags field's text when newer tags arrive from the server while the agent has an unsaved
 * edit: the agent's own additions and removals (against the tags they started from) applied to the
 * newer tags, so neither the edit nor the other change is lost. Without an edit: the newer tags.
 */
export function rebaseTagsText(typed: string, startedFrom: string[], newer: string[]): string {
  const mine = parseTags(typed);
  const added = mine.filter((t) => !startedFrom.includes(t));
  const removed = startedFrom.filter((t) => !mine.includes(t));
  return [...newer.filter((t) => !removed.includes(t)), ...added.filter((t) => !newer.includes(t))].join(", ");
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);
