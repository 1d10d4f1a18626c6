import "server-only";
import type { calendars, slaPolicies } from "../db/schema/sla";
import { logger } from "../observability/logger";
import { CalendarError } from "./calendar";
import { businessClock, policyClock, stoppedClock, type SlaClock } from "./sla-clock";

export type { SlaClock };

// Compiled business clocks, reused across requests until the calendar row changes.
const cache = new Map<string, SlaClock>();
const MAX_CACHED = 5_000;

/**
 * The clock a stored policy counts with: `policyClock`'s rule, with compiled calendars cached.
 * A business-hours policy whose calendar is missing or invalid (the admin API refuses both; a row
 * edited by hand or stored by an older version can still have one) gets `stoppedClock`: its
 * tickets record "no due date" with the reason and a warning is logged (decision 030).
 */
export function storedPolicyClock(
  policy: Pick<typeof slaPolicies.$inferSelect, "id" | "businessHours">,
  calendar: typeof calendars.$inferSelect | null,
): SlaClock {
  if (!policy.businessHours || !calendar) {
    try {
      return policyClock(policy, calendar);
    } catch (err) {
      if (!(err instanceof CalendarError)) throw err;
      logger().warn({ policyId: policy.id }, "business-hours SLA policy has no calendar; its tickets get no due dates");
      return stoppedClock(`${err.message}; no due date until the policy is given one`);
    }
  }
  const key = `${calendar.orgId}:${calendar.id}:${calendar.updatedAt.getTime()}`;
  let clock = cache.get(key);
  if (!clock) {
    try {
      clock = businessClock(calendar);
    } catch (err) {
      if (!(err instanceof CalendarError)) throw err;
      logger().warn(
        { calendarId: calendar.id, problems: err.problems },
        "invalid SLA calendar; its tickets get no due dates",
      );
      return stoppedClock(`the SLA calendar is invalid (${err.message}); no due date until it is corrected`);
    }
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, clock);
  }
  return clock;
}
