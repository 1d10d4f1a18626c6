// SLA metric math the engine calls: due dates, pause accounting, re-application, badge state.
// Pure (no I/O, no clock: callers pass `now`), shared by the engine and the UI.
//
// Pause accounting (SPEC §5): while the status is in `pauseOn` the resolution clock stops. On
// resume the paused time, measured with the policy's clock (only working time for business-hours
// policies, all of it for wall-clock ones), is added to the ticket's paused total in whole
// seconds, and resolveDue = clock.add(createdAt, resolveMinutes * 60 + pausedSeconds). Because
// `add` composes, that is the old due moved later by the paused seconds. First response and
// next response never pause.
import type { Calendar, CompiledCalendar } from "./calendar";
import { clockFor, type SlaClock } from "./sla-clock";

export type SlaTargets = {
  firstResponseMinutes: number;
  resolveMinutes: number;
  nextResponseMinutes: number | null;
  businessHours: boolean;
};

export type SlaState = "ok" | "warning" | "breached" | "fulfilled" | "fulfilled_late";

function minutesToSeconds(minutes: number, what: string): number {
  if (!Number.isFinite(minutes) || minutes < 0) throw new RangeError(`${what} must be a number of minutes >= 0, got ${minutes}`);
  return minutes * 60;
}

function checkPaused(pausedSeconds: number): number {
  if (!Number.isFinite(pausedSeconds) || pausedSeconds < 0) throw new RangeError(`pausedSeconds must be >= 0, got ${pausedSeconds}`);
  return pausedSeconds;
}

function duesWith(clock: SlaClock, policy: SlaTargets, startedAt: Date, pausedSeconds: number) {
  return {
    firstResponseDue: clock.add(startedAt, minutesToSeconds(policy.firstResponseMinutes, "firstResponseMinutes")),
    resolveDue: clock.add(startedAt, minutesToSeconds(policy.resolveMinutes, "resolveMinutes") + checkPaused(pausedSeconds)),
  };
}

/** Due dates of first response and resolution for a ticket started at `startedAt` (its createdAt). */
export function computeDue(input: {
  policy: SlaTargets;
  calendar: Calendar | CompiledCalendar | null;
  startedAt: Date;
  pausedSeconds: number;
}): { firstResponseDue: Date; resolveDue: Date } {
  return duesWith(clockFor(input.policy, input.calendar), input.policy, input.startedAt, input.pausedSeconds);
}

/** Due date of a next response counted from the oldest unanswered customer comment; null when the policy has none. */
export function nextResponseDue(policy: SlaTargets, calendar: Calendar | CompiledCalendar | null, since: Date): Date | null {
  if (policy.nextResponseMinutes === null) return null;
  return clockFor(policy, calendar).add(since, minutesToSeconds(policy.nextResponseMinutes, "nextResponseMinutes"));
}

/** Whole seconds a pause from `pausedAt` to `resumedAt` counts for (what `slaPausedSeconds` accumulates). */
export function pausedBusinessSeconds(clock: SlaClock, pausedAt: Date, resumedAt: Date): number {
  return Math.round(clock.between(pausedAt, resumedAt));
}

/** The ticket's new paused total and resolution due date when its resolution clock resumes. */
export function resumeResolution(
  policy: SlaTargets,
  calendar: Calendar | CompiledCalendar | null,
  t: { createdAt: Date; pausedSeconds: number; pausedAt: Date; resumedAt: Date },
): { pausedSeconds: number; resolveDue: Date } {
  const clock = clockFor(policy, calendar);
  const pausedSeconds = checkPaused(t.pausedSeconds) + pausedBusinessSeconds(clock, t.pausedAt, t.resumedAt);
  return { pausedSeconds, resolveDue: duesWith(clock, policy, t.createdAt, pausedSeconds).resolveDue };
}

/**
 * Re-applies a (new) policy from the ticket's original start, keeping the paused seconds already
 * credited. While paused the resolution due date is unknown, so it is null and `paused` is true;
 * `resolveRemainingSeconds` is the resolution budget left at `now` (or when the pause began),
 * counted by the policy's clock, negative once overdue. Fulfilled metrics are the caller's
 * business: SPEC §5 keeps them fulfilled whatever this returns.
 */
export function reapply(
  policy: SlaTargets,
  calendar: Calendar | CompiledCalendar | null,
  t: { createdAt: Date; pausedSeconds: number; pausedAt: Date | null; now: Date },
): { firstResponseDue: Date; resolveDue: Date | null; paused: boolean; resolveRemainingSeconds: number } {
  const clock = clockFor(policy, calendar);
  const { firstResponseDue, resolveDue } = duesWith(clock, policy, t.createdAt, t.pausedSeconds);
  const budget = minutesToSeconds(policy.resolveMinutes, "resolveMinutes") + t.pausedSeconds;
  const clockStoppedAt = t.pausedAt ?? t.now;
  return {
    firstResponseDue,
    resolveDue: t.pausedAt ? null : resolveDue,
    paused: t.pausedAt !== null,
    resolveRemainingSeconds: budget - clock.between(t.createdAt, clockStoppedAt),
  };
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
