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
// Both business-time functions are closed-form (business-time.ts, decision 025): their cost does
// not grow with the target, and a due date more than MAX_SPAN_YEARS away is refused.
import { CalendarError, compileCalendar, type Calendar, type CompiledCalendar } from "./calendar";
import { addBusinessMs, businessMsBetween, MAX_SPAN_MS, MAX_SPAN_YEARS } from "./business-time";

function toMs(seconds: number, what: string): number {
  if (!Number.isFinite(seconds) || seconds < 0)
    throw new RangeError(`${what} must be a finite number of seconds >= 0, got ${seconds}`);
  return Math.round(seconds * 1000);
}

/** The instant at which `seconds` of working time have elapsed counting from `startUtc`. */
export function addBusinessSeconds(cal: Calendar | CompiledCalendar, startUtc: Date, seconds: number): Date {
  const compiled = compileCalendar(cal);
  const ms = toMs(seconds, "seconds");
  if (ms > MAX_SPAN_MS + 86_400_000) {
    throw new RangeError(`${seconds} seconds is longer than the ${MAX_SPAN_YEARS} years an SLA target may span`);
  }
  return new Date(addBusinessMs(compiled, startUtc.getTime(), ms));
}

/** Working seconds in [a, b); 0 when b <= a. */
export function businessSecondsBetween(cal: Calendar | CompiledCalendar, a: Date, b: Date): number {
  return businessMsBetween(compileCalendar(cal), a.getTime(), b.getTime()) / 1000;
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
    isRunning: (at) => businessMsBetween(compiled, at.getTime(), at.getTime() + 1) > 0,
  };
}

/**
 * The clock a policy counts with (decision 030). A business-hours policy without a calendar is a
 * misconfiguration: this throws CalendarError rather than counting wall-clock time, which would
 * give due dates (and breaches) the policy never asked for. `policy-clock.ts` turns that error into
 * `stoppedClock` for stored policies.
 */
export function policyClock(
  policy: { businessHours: boolean },
  calendar: Calendar | CompiledCalendar | null,
): SlaClock {
  if (!policy.businessHours) return wallClock;
  if (!calendar) throw new CalendarError("SLA policy counts business hours but has no calendar");
  return businessClock(calendar);
}

/**
 * The clock of a stored policy that cannot count (its calendar is missing or invalid): no due date
 * can be computed (`add` throws CalendarError with `reason`, which the transitions record as "no
 * due date" with that reason, decision 025) and no time elapses (`between` is 0, so a pause credits
 * nothing). Never wall-clock time, never a failed ticket write.
 */
export function stoppedClock(reason: string): SlaClock {
  return {
    kind: "business",
    add: () => {
      throw new CalendarError(reason);
    },
    between: () => 0,
    isRunning: () => false,
  };
}
