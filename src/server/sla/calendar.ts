// Pure calendar math (no I/O, no clock, no "server-only"), so the UI can reuse it for countdowns.
//
// Semantics, chosen so that "minutes count only inside the calendar's intervals in its
// timezone" (SPEC §5) is meant literally:
// - An instant is working time when the wall clock in `timezone` shows a time inside an interval
//   of that local date's weekday, and that local date is not a holiday. The part of an interval
//   crossing midnight (end <= start) that falls after midnight belongs to the next local date: it
//   is dropped when THAT date is a holiday, and kept when only the start date is one.
// - DST spring-forward: wall times in the gap never occur, so they are never working time; an
//   interval starting inside the gap effectively starts at the transition. A 24x7 calendar counts
//   23 real hours on that day.
// - DST fall-back: the repeated wall hour occurs twice and counts twice when it lies inside an
//   interval; a 24x7 calendar counts 25 real hours on that day.
// - `localToUtc` resolves a wall time to the first instant at which the clock shows it or a
//   later time: a nonexistent time shifts forward to the transition, an ambiguous one takes the
//   earlier instant (the pre-transition offset).
// Instants are handled in milliseconds; working spans are half-open [start, end).
import type { CalendarInterval } from "../db/schema/sla";

export type { CalendarInterval };
export type Calendar = { timezone: string; intervals: CalendarInterval[]; holidays: string[] };
export type CalendarProblem = { path: string; message: string };
export type Span = { start: Date; end: Date };

export class CalendarError extends Error {
  constructor(
    message: string,
    readonly problems: CalendarProblem[] = [],
  ) {
    super(message);
    this.name = "CalendarError";
  }
}

const MINUTE = 60_000;
const DAY = 86_400_000;
const WEEK_MINUTES = 7 * 1440;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timezone: string): Intl.DateTimeFormat {
  let f = formatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: timezone,
      hourCycle: "h23",
      era: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timezone, f);
  }
  return f;
}

function isTimezone(tz: unknown): tz is string {
  // Intl also accepts offsets such as "+05:00"; they have no DST rules, so they are not IANA zones.
  if (typeof tz !== "string" || tz === "" || /^[+-]/.test(tz)) return false;
  try {
    formatter(tz);
    return true;
  } catch {
    return false;
  }
}

let lookups = 0;

/** How many time-zone lookups (Intl calls, the costly step) this process has made; tests bound the work with it. */
export function timezoneLookups(): number {
  return lookups;
}

/** Wall-clock time at `utcMs` in `timezone`, as milliseconds of a UTC-based timeline ("local ms"). */
function localMs(timezone: string, utcMs: number): number {
  lookups++;
  const p: Record<string, string> = {};
  for (const part of formatter(timezone).formatToParts(new Date(utcMs))) p[part.type] = part.value;
  const year = p.era === "BC" ? 1 - Number(p.year) : Number(p.year);
  const d = new Date(0);
  d.setUTCFullYear(year, Number(p.month) - 1, Number(p.day));
  d.setUTCHours(Number(p.hour), Number(p.minute), Number(p.second), 0);
  return d.getTime() + (utcMs - Math.floor(utcMs / 1000) * 1000);
}

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();

/**
 * The zone's offset at an instant as a label ("GMT+13:45"), about five times cheaper than
 * offsetAt: used to find where offsets change, offsetAt then gives the exact value.
 */
export function offsetLabel(timezone: string, utcMs: number): string {
  lookups++;
  let f = offsetFormatters.get(timezone);
  if (!f)
    offsetFormatters.set(
      timezone,
      (f = new Intl.DateTimeFormat("en-US", { timeZone: timezone, timeZoneName: "longOffset" })),
    );
  const s = f.format(new Date(utcMs));
  return s.slice(s.lastIndexOf(" ") + 1);
}

/** UTC offset in milliseconds at an instant. */
export function offsetAt(timezone: string, utcMs: number): number {
  return localMs(timezone, utcMs) - utcMs;
}

// The span walker (offsetRegimes, workingSpansMs and what is built on them) runs on no production
// path since decision 025: due dates and elapsed time come from business-time.ts's closed form.
// It stays as the executable statement of the rules above, which the hand-computed tables
// (sla-calendar, sla-reference) check and the closed form is compared against
// (tests/helpers/sla-walker.ts, sla-closed-form). It finds offset changes on its own, by daily
// offsetAt samples, rather than through business-time.ts's cached per-year changes: folding the
// two would let one mistake in finding a DST change pass both sides of that comparison.

type Regime = { from: number; to: number; offset: number };

/**
 * Splits [fromMs, toMs) into stretches of constant UTC offset. Offsets are sampled daily and
 * transitions located by bisection to the second (tzdb transitions fall on whole seconds), so two
 * transitions cancelling out within one day would be missed; no zone in use does that.
 */
function offsetRegimes(timezone: string, fromMs: number, toMs: number): Regime[] {
  const out: Regime[] = [];
  let start = fromMs;
  let offset = offsetAt(timezone, fromMs);
  let t = fromMs;
  while (t < toMs) {
    const next = Math.min(t + DAY, toMs);
    if (offsetAt(timezone, next) === offset) {
      t = next;
      continue;
    }
    let lo = Math.floor(t / 1000);
    let hi = Math.floor(next / 1000);
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (offsetAt(timezone, mid * 1000) === offset) lo = mid;
      else hi = mid;
    }
    const transition = hi * 1000;
    if (transition >= toMs) break;
    out.push({ from: start, to: transition, offset });
    start = t = transition;
    offset = offsetAt(timezone, transition);
  }
  out.push({ from: start, to: toMs, offset });
  return out;
}

function parseHHMM(s: string): number {
  const m = HHMM.exec(s);
  return m ? Number(m[1]) * 60 + Number(m[2]) : s === "24:00" ? 1440 : NaN;
}

function parseIsoDate(s: string): number | null {
  const m = ISO_DATE.exec(s);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return new Date(ms).toISOString().slice(0, 10) === s ? ms / DAY : null;
}

/** Minutes from the start of the weekday; `end` > 1440 means the interval crosses midnight. */
function bounds(i: CalendarInterval): { start: number; end: number } {
  const start = parseHHMM(i.start);
  const end = parseHHMM(i.end);
  return { start, end: end > start ? end : end + 1440 };
}

/** Every problem with a calendar, each with a path to the offending field; empty means valid. */
export function validateCalendar(cal: Calendar): CalendarProblem[] {
  const problems: CalendarProblem[] = [];
  if (!isTimezone(cal.timezone))
    problems.push({ path: "timezone", message: `"${String(cal.timezone)}" is not a known IANA time zone` });
  const intervals: unknown = cal.intervals;
  if (!Array.isArray(intervals) || intervals.length === 0) {
    problems.push({ path: "intervals", message: "at least one working interval is required" });
  } else {
    const ranges: { start: number; end: number; index: number }[] = [];
    intervals.forEach((raw: Partial<CalendarInterval> | null, index) => {
      const at = `intervals[${index}]`;
      let ok = true;
      if (!Number.isInteger(raw?.day) || (raw?.day as number) < 0 || (raw?.day as number) > 6) {
        problems.push({ path: `${at}.day`, message: "must be an integer from 0 (Sunday) to 6 (Saturday)" });
        ok = false;
      }
      if (typeof raw?.start !== "string" || !HHMM.test(raw.start)) {
        problems.push({ path: `${at}.start`, message: 'must be "HH:MM" from 00:00 to 23:59' });
        ok = false;
      }
      if (typeof raw?.end !== "string" || !(HHMM.test(raw.end) || raw.end === "24:00")) {
        problems.push({ path: `${at}.end`, message: 'must be "HH:MM" from 00:00 to 24:00' });
        ok = false;
      }
      if (!ok || !raw) return;
      const b = bounds(raw as CalendarInterval);
      const base = (raw.day as number) * 1440;
      // The week is a circle: Saturday night's overnight interval runs into Sunday morning.
      if (base + b.end <= WEEK_MINUTES) ranges.push({ start: base + b.start, end: base + b.end, index });
      else {
        ranges.push({ start: base + b.start, end: WEEK_MINUTES, index });
        ranges.push({ start: 0, end: base + b.end - WEEK_MINUTES, index });
      }
    });
    ranges.sort((a, b) => a.start - b.start || a.end - b.end);
    const reported = new Set<string>();
    for (let i = 0; i < ranges.length; i++) {
      for (let j = i + 1; j < ranges.length && ranges[j]!.start < ranges[i]!.end; j++) {
        const [a, b] = [ranges[i]!.index, ranges[j]!.index].sort((x, y) => x - y) as [number, number];
        if (a === b || reported.has(`${a}:${b}`)) continue;
        reported.add(`${a}:${b}`);
        problems.push({ path: `intervals[${b}]`, message: `overlaps intervals[${a}]` });
      }
    }
  }
  const holidays: unknown = cal.holidays;
  if (!Array.isArray(holidays)) problems.push({ path: "holidays", message: 'must be a list of "YYYY-MM-DD" dates' });
  else {
    holidays.forEach((h: unknown, index) => {
      if (typeof h !== "string" || parseIsoDate(h) === null) {
        problems.push({ path: `holidays[${index}]`, message: `"${String(h)}" is not a valid "YYYY-MM-DD" date` });
      }
    });
  }
  return problems;
}

/** A validated calendar in the form the span arithmetic needs; build once, reuse for many calls. */
export class CompiledCalendar {
  readonly timezone: string;
  /** Per weekday, intervals in minutes from that day's local midnight (end may exceed 1440). */
  readonly byDay: { start: number; end: number }[][];
  /** Holidays as days since 1970-01-01 (local dates). */
  readonly holidays: ReadonlySet<number>;

  constructor(cal: Calendar) {
    const problems = validateCalendar(cal);
    if (problems.length > 0) {
      throw new CalendarError(
        `invalid calendar: ${problems.map((p) => `${p.path} ${p.message}`).join("; ")}`,
        problems,
      );
    }
    this.timezone = cal.timezone;
    this.byDay = Array.from({ length: 7 }, () => []);
    for (const i of cal.intervals) this.byDay[i.day]!.push(bounds(i));
    this.holidays = new Set(cal.holidays.map((h) => parseIsoDate(h)!));
  }
}

export function compileCalendar(cal: Calendar | CompiledCalendar): CompiledCalendar {
  return cal instanceof CompiledCalendar ? cal : new CompiledCalendar(cal);
}

/** Working spans in milliseconds, sorted and merged, clipped to [fromMs, toMs). */
export function workingSpansMs(cal: CompiledCalendar, fromMs: number, toMs: number): [number, number][] {
  if (!(toMs > fromMs)) return [];
  const raw: [number, number][] = [];
  for (const r of offsetRegimes(cal.timezone, fromMs, toMs)) {
    const firstDay = Math.floor((r.from + r.offset) / DAY) - 1; // yesterday's overnight interval
    const lastDay = Math.floor((r.to + r.offset - 1) / DAY);
    for (let day = firstDay; day <= lastDay; day++) {
      const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
      const dayOff = cal.holidays.has(day);
      const nextOff = cal.holidays.has(day + 1);
      for (const i of cal.byDay[weekday]!) {
        const midnight = day * DAY;
        const pieces: [number, number][] = [];
        if (!dayOff) pieces.push([i.start, Math.min(i.end, 1440)]);
        if (i.end > 1440 && !nextOff) pieces.push([1440, i.end]);
        for (const [a, b] of pieces) {
          const start = Math.max(midnight + a * MINUTE - r.offset, r.from);
          const end = Math.min(midnight + b * MINUTE - r.offset, r.to);
          if (end > start) raw.push([start, end]);
        }
      }
    }
  }
  raw.sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const s of raw) {
    const last = merged[merged.length - 1];
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1]);
    else merged.push([s[0], s[1]]);
  }
  return merged;
}

/** Working time intersecting [fromUtc, toUtc), as sorted, merged, clipped UTC spans. */
export function workingSpans(cal: Calendar | CompiledCalendar, fromUtc: Date, toUtc: Date): Span[] {
  return workingSpansMs(compileCalendar(cal), fromUtc.getTime(), toUtc.getTime()).map(([s, e]) => ({
    start: new Date(s),
    end: new Date(e),
  }));
}

export function isWorkingTime(cal: Calendar | CompiledCalendar, at: Date): boolean {
  return workingSpansMs(compileCalendar(cal), at.getTime(), at.getTime() + 1).length > 0;
}

/** The wall clock in `timezone` at an instant: local date, time and weekday (0 = Sunday). */
export function toLocal(timezone: string, at: Date): { date: string; time: string; weekday: number } {
  const iso = new Date(Math.floor(localMs(timezone, at.getTime()) / 1000) * 1000).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 19), weekday: new Date(iso).getUTCDay() };
}

/**
 * The first instant at which the wall clock in `timezone` shows `local` ("YYYY-MM-DDTHH:MM[:SS]")
 * or a later time: a time skipped by spring-forward maps to the transition instant, a time
 * repeated by fall-back maps to its first (earlier) occurrence.
 */
export function localToUtc(timezone: string, local: string): Date {
  const m = /^(\d{4}-\d{2}-\d{2})T([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$/.exec(local);
  const day = m ? parseIsoDate(m[1]!) : null;
  if (!m || day === null) throw new CalendarError(`"${local}" is not a local date-time "YYYY-MM-DDTHH:MM[:SS]"`);
  if (!isTimezone(timezone)) throw new CalendarError(`"${timezone}" is not a known IANA time zone`);
  const wall = day * DAY + (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0)) * 1000;
  // Offsets stay within ±1 day, so every instant showing `wall` lies in this window.
  for (const r of offsetRegimes(timezone, wall - 2 * DAY, wall + 2 * DAY)) {
    if (wall - r.offset < r.to) return new Date(Math.max(r.from, wall - r.offset));
  }
  throw new CalendarError(`cannot resolve "${local}" in ${timezone}`);
}
