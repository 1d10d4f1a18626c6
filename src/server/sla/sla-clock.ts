// How SLA durations are counted: business seconds over a calendar, or wall-clock seconds.
// Pure (no I/O, no clock), shared by the SLA engine and the UI.
//
// addBusinessSeconds(cal, start, s) is the earliest instant t >= start with
// businessSecondsBetween(cal, start, t) >= s, so:
// - s = 0 gives start itself, working time or not;
// - a start outside working time counts from the next working span;
// - a target ending exactly at the end of a span returns that end, not the next span's start;
// - between(start, add(start, s)) === s, and add(add(t, a), b) === add(t, a + b), which is why a
//   resume can recompute resolveDue from createdAt instead of shifting the old due date.
// Durations are seconds, never rounded to minutes. The raw functions are exact to the
// millisecond; SlaClock.between rounds to whole seconds, the unit tickets store.
import { CalendarError, compileCalendar, workingSpansMs, type Calendar, type CompiledCalendar } from "./calendar";

const DAY = 86_400_000;
const CHUNK = 7 * DAY;
/** Beyond this many weeks a target is treated as a misconfiguration rather than searched for. */
const MAX_CHUNKS = 100 * 53;
/** A calendar with no working time for this long (e.g. a year of holidays) has none to give. */
const MAX_IDLE = 400 * DAY;

function toMs(seconds: number, what: string): number {
  if (!Number.isFinite(seconds) || seconds < 0) throw new RangeError(`${what} must be a finite number of seconds >= 0, got ${seconds}`);
  return Math.round(seconds * 1000);
}

/** The instant at which `seconds` of working time have elapsed counting from `startUtc`. */
export function addBusinessSeconds(cal: Calendar | CompiledCalendar, startUtc: Date, seconds: number): Date {
  const compiled = compileCalendar(cal);
  let remaining = toMs(seconds, "seconds");
  const start = startUtc.getTime();
  if (remaining === 0) return new Date(start);
  if (remaining > MAX_CHUNKS * CHUNK) {
    throw new RangeError(`${seconds} seconds is longer than the ${MAX_CHUNKS} weeks an SLA target may span`);
  }
  let cursor = start;
  let idle = 0;
  for (let chunk = 0; chunk < MAX_CHUNKS; chunk++) {
    const end = cursor + CHUNK;
    const spans = workingSpansMs(compiled, cursor, end);
    idle = spans.length === 0 ? idle + CHUNK : 0;
    if (idle >= MAX_IDLE) {
      throw new CalendarError(`calendar has no working time between ${new Date(end - idle).toISOString()} and ${new Date(end).toISOString()}`);
    }
    for (const [s, e] of spans) {
      if (remaining <= e - s) return new Date(s + remaining);
      remaining -= e - s;
    }
    cursor = end;
  }
  throw new CalendarError(`${seconds} business seconds from ${startUtc.toISOString()} ends more than ${MAX_CHUNKS} weeks later`);
}

/** Working seconds in [a, b); 0 when b <= a. */
export function businessSecondsBetween(cal: Calendar | CompiledCalendar, a: Date, b: Date): number {
  const compiled = compileCalendar(cal);
  let total = 0;
  for (let cursor = a.getTime(); cursor < b.getTime(); cursor += CHUNK) {
    for (const [s, e] of workingSpansMs(compiled, cursor, Math.min(cursor + CHUNK, b.getTime()))) total += e - s;
  }
  return total / 1000;
}

export function addWallSeconds(startUtc: Date, seconds: number): Date {
  return new Date(startUtc.getTime() + toMs(seconds, "seconds"));
}

/** Elapsed seconds in [a, b); 0 when b <= a. */
export function wallSecondsBetween(a: Date, b: Date): number {
  return Math.max(0, b.getTime() - a.getTime()) / 1000;
}

/** One way of counting SLA time; see the file comment for the exact meaning of `add`. */
export interface SlaClock {
  readonly kind: "wall" | "business";
  add(start: Date, seconds: number): Date;
  /** Counted seconds in [a, b), rounded to whole seconds (the unit tickets store); 0 when b <= a. */
  between(a: Date, b: Date): number;
  /** Whether the clock is ticking at `at` (always for wall clocks; inside working time otherwise). */
  isRunning(at: Date): boolean;
}

export const wallClock: SlaClock = {
  kind: "wall",
  add: addWallSeconds,
  between: (a, b) => Math.round(wallSecondsBetween(a, b)),
  isRunning: () => true,
};

/** A business-hours clock; the calendar is validated once here (throws CalendarError). */
export function businessClock(cal: Calendar | CompiledCalendar): SlaClock {
  const compiled = compileCalendar(cal);
  return {
    kind: "business",
    add: (start, seconds) => addBusinessSeconds(compiled, start, seconds),
    between: (a, b) => Math.round(businessSecondsBetween(compiled, a, b)),
    isRunning: (at) => workingSpansMs(compiled, at.getTime(), at.getTime() + 1).length > 0,
  };
}

/**
 * The clock a policy counts with. A business-hours policy without a calendar is a
 * misconfiguration and throws rather than silently counting wall-clock time.
 */
export function clockFor(policy: { businessHours: boolean }, calendar: Calendar | CompiledCalendar | null): SlaClock {
  if (!policy.businessHours) return wallClock;
  if (!calendar) throw new CalendarError("SLA policy counts business hours but has no calendar");
  return businessClock(calendar);
}
