// SLA metric math: due dates, pause accounting, badge state. Pure (no I/O, no clock: callers pass
// `now`), shared by the engine (through transitions.ts) and the UI.
//
// Pause accounting (SPEC §5): while the status is in `pauseOn` the resolution clock stops. On
// resume the paused time, measured with the policy's clock (only working time for business-hours
// policies, all of it for wall-clock ones), is added to the ticket's paused total in whole
// seconds, and resolveDue = clock.add(createdAt, resolveMinutes * 60 + pausedSeconds). Because
// `add` composes, that is the old due moved later by the paused seconds. First response and
// next response never pause.
import type { SlaClock } from "./sla-clock";

export type SlaTargets = {
  firstResponseMinutes: number;
  resolveMinutes: number;
  nextResponseMinutes: number | null;
  businessHours: boolean;
};

export type SlaState = "ok" | "warning" | "breached" | "fulfilled" | "fulfilled_late";

function minutesToSeconds(minutes: number, what: string): number {
  if (!Number.isFinite(minutes) || minutes < 0)
    throw new RangeError(`${what} must be a number of minutes >= 0, got ${minutes}`);
  return minutes * 60;
}

function checkPaused(pausedSeconds: number): number {
  if (!Number.isFinite(pausedSeconds) || pausedSeconds < 0)
    throw new RangeError(`pausedSeconds must be >= 0, got ${pausedSeconds}`);
  return pausedSeconds;
}

/** First response due for a ticket created at `createdAt` (it never pauses). */
export function firstResponseDueAt(clock: SlaClock, policy: SlaTargets, createdAt: Date): Date {
  return clock.add(createdAt, minutesToSeconds(policy.firstResponseMinutes, "firstResponseMinutes"));
}

/** Resolution due: the target counted from `createdAt`, plus the paused seconds already credited. */
export function resolveDueAt(clock: SlaClock, policy: SlaTargets, createdAt: Date, pausedSeconds: number): Date {
  return clock.add(createdAt, minutesToSeconds(policy.resolveMinutes, "resolveMinutes") + checkPaused(pausedSeconds));
}

/** Next response due, counted from the customer reply at `since`; null when the policy has none. */
export function nextResponseDueAt(clock: SlaClock, policy: SlaTargets, since: Date): Date | null {
  if (policy.nextResponseMinutes === null) return null;
  return clock.add(since, minutesToSeconds(policy.nextResponseMinutes, "nextResponseMinutes"));
}

/** Whole seconds a pause from `pausedAt` to `resumedAt` counts for (what `slaPausedSeconds` accumulates). */
export function pausedBusinessSeconds(clock: SlaClock, pausedAt: Date, resumedAt: Date): number {
  return Math.round(clock.between(pausedAt, resumedAt));
}

/**
 * Badge state of one metric. Fulfilled on time means fulfilledAt <= due; breached means now is
 * past due (at the due instant itself the metric is still only in warning); warning means the
 * due date is at most `warnSeconds` of wall-clock time away — the lead time is wall time even
 * for business-hours policies, so a scan can select `due <= now + lead`.
 */
export function slaState(due: Date, fulfilledAt: Date | null, now: Date, warnSeconds: number): SlaState {
  if (fulfilledAt) return fulfilledAt.getTime() <= due.getTime() ? "fulfilled" : "fulfilled_late";
  const left = due.getTime() - now.getTime();
  if (left < 0) return "breached";
  return left <= warnSeconds * 1000 ? "warning" : "ok";
}
