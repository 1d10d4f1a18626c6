import {
  CalendarError,
  compileCalendar,
  workingSpansMs,
  type Calendar,
  type CompiledCalendar,
} from "../../src/server/sla/calendar";

// The business-time arithmetic as it was before decision 025: walk the calendar in 7-day chunks of
// working spans. Kept as the reference the closed form (src/server/sla/business-time.ts) must
// agree with; its cost grows with the target, which is why it is no longer the engine.

const DAY = 86_400_000;
const CHUNK = 7 * DAY;
const MAX_CHUNKS = 100 * 53;
const MAX_IDLE = 400 * DAY;

export function walkAddBusinessMs(cal: Calendar | CompiledCalendar, start: number, ms: number): number {
  const compiled = compileCalendar(cal);
  let remaining = ms;
  if (remaining === 0) return start;
  let cursor = start;
  let idle = 0;
  for (let chunk = 0; chunk < MAX_CHUNKS; chunk++) {
    const end = cursor + CHUNK;
    const spans = workingSpansMs(compiled, cursor, end);
    idle = spans.length === 0 ? idle + CHUNK : 0;
    if (idle >= MAX_IDLE) throw new CalendarError("calendar has no working time");
    for (const [s, e] of spans) {
      if (remaining <= e - s) return s + remaining;
      remaining -= e - s;
    }
    cursor = end;
  }
  throw new CalendarError(`ends more than ${MAX_CHUNKS} weeks later`);
}

export function walkBusinessMsBetween(cal: Calendar | CompiledCalendar, a: number, b: number): number {
  const compiled = compileCalendar(cal);
  let total = 0;
  for (let cursor = a; cursor < b; cursor += CHUNK) {
    for (const [s, e] of workingSpansMs(compiled, cursor, Math.min(cursor + CHUNK, b))) total += e - s;
  }
  return total;
}
