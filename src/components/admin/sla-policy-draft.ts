import type { components } from "@/lib/api-types";
import { describeFailure, type ApiFailure } from "../api-client";
import { toInputTime, type CalendarDraft } from "./calendar-editor";

// An SLA policy as its card edits it: the draft of the form, its checks before sending, the body
// it sends, and the API's issues mapped back onto the fields. Pure.

/** A policy as a person reads it, field by field: what an edit conflict lists (decision 043). */
export function shownPolicy(p: PolicyData): Record<string, string> {
  const mins = (n: number | null) => (n === null ? "none" : `${n} min`);
  return {
    "First response": mins(p.firstResponseMinutes),
    Resolution: mins(p.resolveMinutes),
    "Next response": mins(p.nextResponseMinutes),
    "Business hours": p.businessHours ? "yes" : "no",
    Calendar: p.calendar
      ? `${p.calendar.name} (${p.calendar.timezone}): ${p.calendar.intervals.map((i) => `${i.day} ${i.start}–${i.end}`).join(", ")}`
      : "none",
    Holidays: p.calendar?.holidays.join(", ") || "none",
    "Paused while": p.pauseOn.join(", ") || "never",
  };
}

// The API's own types, generated from its OpenAPI document (src/lib/api-types.ts), not hand copies.
export type Priority = components["schemas"]["TicketPriority"];
export type PolicyData = components["schemas"]["SlaPolicy"];

export const PRIORITY_LABELS: Record<Priority, string> = {
  urgent: "Urgent",
  high: "High",
  normal: "Normal",
  low: "Low",
};
export const PAUSABLE = [
  { value: "pending", label: "Pending (waiting for the customer)" },
  { value: "on_hold", label: "On hold (waiting for a third party)" },
];
const MAX_MINUTES = 366 * 24 * 60;

export type Duration = { h: string; m: string };
export type Draft = {
  first: Duration;
  resolve: Duration;
  nextOn: boolean;
  next: Duration;
  businessHours: boolean;
  calendar: CalendarDraft | null;
  pauseOn: string[];
};

export const split = (minutes: number): Duration => ({ h: String(Math.floor(minutes / 60)), m: String(minutes % 60) });
export const join = (d: Duration): number => (Number(d.h) || 0) * 60 + (Number(d.m) || 0);

export function draftOf(p: PolicyData | null): Draft {
  if (!p)
    return {
      first: split(480),
      resolve: split(2880),
      nextOn: false,
      next: split(240),
      businessHours: false,
      calendar: null,
      pauseOn: ["pending"],
    };
  return {
    first: split(p.firstResponseMinutes),
    resolve: split(p.resolveMinutes),
    nextOn: p.nextResponseMinutes !== null,
    next: split(p.nextResponseMinutes ?? 240),
    businessHours: p.businessHours,
    calendar: p.calendar
      ? {
          name: p.calendar.name,
          timezone: p.calendar.timezone,
          intervals: p.calendar.intervals.map((i, key) => ({
            key,
            day: i.day,
            start: toInputTime(i.start),
            end: toInputTime(i.end),
          })),
          holidays: [...p.calendar.holidays].sort(),
        }
      : null,
    pauseOn: p.pauseOn,
  };
}

/** "1 h 30 min", "2 d 4 h", for the card's summary line. */
export function humanMinutes(total: number): string {
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  return [d ? `${d} d` : "", h ? `${h} h` : "", m ? `${m} min` : ""].filter(Boolean).join(" ") || "0 min";
}

export type Problems = {
  fields: Record<string, string>;
  intervals: Record<number, string>;
  timezone?: string;
  holidays?: string;
};
export const noProblems: Problems = { fields: {}, intervals: {} };

const SHOWN_FIELDS = ["firstResponseMinutes", "resolveMinutes", "nextResponseMinutes"];
const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

export function problemsFrom(e: ApiFailure, draft: Draft): Problems {
  const out: Problems = { fields: {}, intervals: {} };
  // The API names intervals by their index in what was sent; people know them by day and time.
  const named = (msg: string) =>
    msg.replace(/intervals\[(\d+)\]/g, (whole, n: string) => {
      const i = draft.calendar?.intervals[Number(n)];
      return i ? `${DAY_NAMES[i.day]} ${i.start}–${i.end}` : whole;
    });
  for (const i of e.issues) {
    const m = /^calendar\.intervals\[(\d+)\]/.exec(i.path) ?? /^calendar\.intervals\.(\d+)/.exec(i.path);
    if (m) {
      const key = draft.calendar?.intervals[Number(m[1])]?.key;
      const msg = named(i.message);
      if (key !== undefined) out.intervals[key] = `${msg.charAt(0).toUpperCase()}${msg.slice(1)}.`;
    } else if (i.path.startsWith("calendar.timezone")) out.timezone = i.message;
    else if (i.path.startsWith("calendar.holidays")) out.holidays = i.message;
    else out.fields[i.path.split(".")[0] ?? i.path] = i.message;
  }
  return out;
}

/** What the form itself can tell before sending: durations out of range, a blank time, no time zone. */
export function localProblems(d: Draft): Problems {
  const p: Problems = { fields: {}, intervals: {} };
  const check = (name: string, dur: Duration) => {
    const n = join(dur);
    if (!Number.isInteger(n) || n < 1) p.fields[name] = "must be at least 1 minute";
    else if (n > MAX_MINUTES) p.fields[name] = "must be at most 366 days";
  };
  check("firstResponseMinutes", d.first);
  check("resolveMinutes", d.resolve);
  if (d.nextOn) check("nextResponseMinutes", d.next);
  if (d.businessHours && d.calendar) {
    for (const i of d.calendar.intervals) if (!i.start || !i.end) p.intervals[i.key] = "Enter a start and an end time.";
    if (!d.calendar.timezone.trim()) p.timezone = "is required";
  }
  return p;
}

/** Why the draft cannot be sent as it is, or null when it can. */
export function draftRefusal(draft: Draft, local: Problems): string | null {
  const calendarEmpty = draft.businessHours && (draft.calendar?.intervals.length ?? 0) === 0;
  if (calendarEmpty) return "Business hours need at least one working interval in the week.";
  if (Object.keys(local.fields).length || Object.keys(local.intervals).length || local.timezone)
    return "Some values need fixing; see the marked fields.";
  return null;
}

/** The body a create or update sends for the draft. */
export function policyBody(draft: Draft): Record<string, unknown> {
  const calendar = draft.calendar
    ? {
        name: draft.calendar.name.trim() || "Business hours",
        timezone: draft.calendar.timezone.trim(),
        intervals: draft.calendar.intervals.map(({ day, start, end }) => ({ day, start, end })),
        holidays: draft.calendar.holidays,
      }
    : undefined;
  return {
    firstResponseMinutes: join(draft.first),
    resolveMinutes: join(draft.resolve),
    nextResponseMinutes: draft.nextOn ? join(draft.next) : null,
    businessHours: draft.businessHours,
    ...(calendar ? { calendar } : {}),
    pauseOn: draft.pauseOn,
  };
}

/** The form's alert for a refused save: point at the marked fields when every issue is shown at one. */
export function saveFailureMessage(error: ApiFailure): string {
  const atField = (path: string) =>
    /^calendar\.(intervals|timezone|holidays)/.test(path) || SHOWN_FIELDS.includes(path.split(".")[0] ?? "");
  const m = error.message;
  return error.issues.length > 0 && error.issues.every((i) => atField(i.path))
    ? `${m.charAt(0).toUpperCase()}${m.slice(1)}: see the marked fields.`
    : describeFailure(error);
}
