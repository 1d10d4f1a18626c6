import type { calendars, slaPolicies } from "../db/schema/sla";

/** Counts SLA time: business seconds on a calendar, or wall-clock seconds. */
export type SlaClock = { add: (start: Date, seconds: number) => Date; between: (a: Date, b: Date) => number };

const wallClock: SlaClock = {
  add: (start, seconds) => new Date(start.getTime() + seconds * 1000),
  between: (a, b) => Math.max(0, Math.round((b.getTime() - a.getTime()) / 1000)),
};

export function clockFor(
  policy: Pick<typeof slaPolicies.$inferSelect, "businessHours">,
  calendar: typeof calendars.$inferSelect | null,
): SlaClock {
  if (!policy.businessHours || !calendar) return wallClock;
  return wallClock; // replaced by the business-hours clock (src/server/sla/due-dates.ts)
}
