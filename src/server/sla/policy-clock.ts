import "server-only";
import type { calendars, slaPolicies } from "../db/schema/sla";
import { logger } from "../observability/logger";
import { CalendarError } from "./calendar";
import { businessClock, wallClock, type SlaClock } from "./sla-clock";

export type { SlaClock };

// Compiled business clocks, reused across requests until the calendar row changes.
const cache = new Map<string, SlaClock>();
const MAX_CACHED = 5_000;

/**
 * The clock a stored policy counts with. A business-hours policy whose calendar is missing or
 * invalid (the admin API refuses both) counts wall-clock time and says so in the log, rather than
 * failing every ticket write of the org.
 */
export function clockFor(
  policy: Pick<typeof slaPolicies.$inferSelect, "id" | "businessHours">,
  calendar: typeof calendars.$inferSelect | null,
): SlaClock {
  if (!policy.businessHours) return wallClock;
  if (!calendar) {
    logger().warn({ policyId: policy.id }, "business-hours SLA policy has no calendar; counting wall-clock time");
    return wallClock;
  }
  const key = `${calendar.orgId}:${calendar.id}:${calendar.updatedAt.getTime()}`;
  let clock = cache.get(key);
  if (!clock) {
    try {
      clock = businessClock(calendar);
    } catch (err) {
      if (!(err instanceof CalendarError)) throw err;
      logger().warn({ calendarId: calendar.id, problems: err.problems }, "invalid SLA calendar; counting wall-clock time");
      return wallClock;
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, clock);
  }
  return clock;
}
