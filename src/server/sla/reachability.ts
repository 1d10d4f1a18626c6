// Save-time checks that a business-hours policy can actually compute its due dates (decision 025).
// Pure: the admin API turns the problems into a 400 naming the field.
import { CalendarError, compileCalendar, type Calendar, type CompiledCalendar } from "./calendar";
import { weeklyBusinessMs } from "./business-time";
import { addBusinessSeconds } from "./sla-clock";

/** A calendar with less working time a week than this is refused ("too little business time"). */
export const MIN_WEEKLY_MINUTES = 60;
/** A target must be reached within this span from the moment the policy is saved. */
export const MAX_TARGET_YEARS = 5;
const MAX_TARGET_MS = Math.round(MAX_TARGET_YEARS * 365.25 * 86_400_000);

export type Problem = { path: string; message: string };
export type TargetFields = { firstResponseMinutes: number; resolveMinutes: number; nextResponseMinutes: number | null };

/** Working minutes in one week of a (valid) calendar, DST and holidays aside. */
export function weeklyMinutes(cal: Calendar | CompiledCalendar): number {
  return weeklyBusinessMs(compileCalendar(cal)) / 60_000;
}

/** "calendar.intervals" when the calendar's week holds less than MIN_WEEKLY_MINUTES of working time. */
export function calendarTimeProblems(cal: Calendar | CompiledCalendar): Problem[] {
  const minutes = weeklyMinutes(cal);
  return minutes < MIN_WEEKLY_MINUTES
    ? [
        {
          path: "calendar.intervals",
          message: `the calendar has ${minutes} minutes of working time a week; at least ${MIN_WEEKLY_MINUTES} are needed`,
        },
      ]
    : [];
}

/**
 * Each target of a business-hours policy must be reached within MAX_TARGET_YEARS counting from
 * `now` on `cal` (holidays and DST included); a problem names the target's field. A calendar that
 * is not valid (a stored row edited by hand, or a zone the runtime no longer knows) is a problem
 * naming its field, as it is when sent: the policy cannot count with it.
 */
export function targetReachProblems(cal: Calendar, targets: TargetFields, now: Date): Problem[] {
  let compiled: CompiledCalendar;
  try {
    compiled = compileCalendar(cal);
  } catch (err) {
    if (!(err instanceof CalendarError)) throw err;
    return err.problems.map((p) => ({ path: `calendar.${p.path}`, message: p.message }));
  }
  const problems: Problem[] = [...calendarTimeProblems(compiled)];
  if (problems.length) return problems;
  const fields = ["firstResponseMinutes", "resolveMinutes", "nextResponseMinutes"] as const;
  for (const field of fields) {
    const minutes = targets[field];
    if (minutes === null) continue;
    let reached = false;
    let why = "";
    try {
      const due = addBusinessSeconds(compiled, now, minutes * 60);
      reached = due.getTime() - now.getTime() <= MAX_TARGET_MS;
    } catch (err) {
      if (!(err instanceof CalendarError) && !(err instanceof RangeError)) throw err;
      why = `: ${err.message}`;
    }
    if (!reached) {
      problems.push({
        path: field,
        message: `${minutes} business minutes are not reached within ${MAX_TARGET_YEARS} years on this calendar (${weeklyMinutes(compiled)} working minutes a week)${why}`,
      });
    }
  }
  return problems;
}
