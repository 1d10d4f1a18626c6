// SPEC §5 as pure transitions of a ticket's SLA fields: what a create, a status or priority change
// and a comment do to the due dates, the pause and the fulfilment, and which SlaEvents record it.
// No I/O and no clock (callers pass `now` and the policy's SlaClock): `apply.ts` loads the policy
// and writes the result, and `tests/unit/sla-property.test.ts` plays random histories through
// these same functions against a cell-by-cell reference (decision 030). All durations in seconds.
import type { TicketStatus } from "../db/schema/enums";
import { CalendarError } from "./calendar";
import {
  firstResponseDueAt,
  nextResponseDueAt,
  pausedBusinessSeconds,
  resolveDueAt,
  type SlaTargets,
} from "./due-dates";
import type { SlaClock } from "./sla-clock";
import { isFinished } from "../lifecycle/ticket-lifecycle";

export type SlaRules = SlaTargets & { pauseOn: readonly TicketStatus[] };

/** The SLA fields of a ticket that the transitions read. */
export type SlaTicket = {
  createdAt: Date;
  status: TicketStatus;
  firstResponseAt: Date | null;
  firstResponseDue: Date | null;
  nextResponseDue: Date | null;
  resolveDue: Date | null;
  resolvedAt: Date | null;
  slaPausedAt: Date | null;
  slaPausedSeconds: number;
};

/** The fields a transition changes (absent = unchanged). */
export type SlaChanges = Partial<Omit<SlaTicket, "createdAt" | "status">>;

export type SlaEventDraft = {
  metric: "first_response" | "next_response" | "resolution";
  kind: "apply" | "pause" | "resume" | "fulfill";
  at: Date;
  dueAt: Date | null;
  data: Record<string, unknown>;
};

export type SlaTransition = { changes: SlaChanges; events: SlaEventDraft[] };

/**
 * A due date, or null with the reason when it cannot be computed (a calendar that does not reach
 * the target within the engine's span, e.g. one stored before save-time checks existed, or a
 * policy whose calendar is missing: `stoppedClock`). The ticket write goes on with "no due date"
 * and the reason in its SLA event (`data.noDueDate`, decision 025), never a 500.
 */
function due(compute: () => Date | null): { due: Date | null; noDue?: { noDueDate: true; reason: string } } {
  try {
    return { due: compute() };
  } catch (err) {
    if (!(err instanceof CalendarError) && !(err instanceof RangeError)) throw err;
    return { due: null, noDue: { noDueDate: true, reason: err.message } };
  }
}

/** A new ticket: both due dates counted from createdAt. */
export function slaOnCreate(
  policy: SlaRules,
  clock: SlaClock,
  t: { createdAt: Date; priority: string },
): SlaTransition {
  const first = due(() => firstResponseDueAt(clock, policy, t.createdAt));
  const resolve = due(() => resolveDueAt(clock, policy, t.createdAt, 0));
  return {
    changes: { firstResponseDue: first.due, resolveDue: resolve.due },
    events: [
      {
        metric: "first_response",
        kind: "apply",
        at: t.createdAt,
        dueAt: first.due,
        data: { priority: t.priority, ...first.noDue },
      },
      {
        metric: "resolution",
        kind: "apply",
        at: t.createdAt,
        dueAt: resolve.due,
        data: { priority: t.priority, ...resolve.noDue },
      },
    ],
  };
}

/**
 * Status and priority changes: pause while the status is in the policy's pauseOn (first response
 * never pauses), resume moving resolveDue later by the paused business time, fulfil resolution on
 * solve, re-open it on reopen, and re-apply the policy from createdAt on a priority change,
 * keeping paused time and any metric already fulfilled. `policy` is that of the (new) priority.
 */
export function slaOnUpdate(
  policy: SlaRules,
  clock: SlaClock,
  t: SlaTicket,
  change: { status?: TicketStatus; priority?: string; reason?: "priority_change" | "policy_change" },
  now: Date,
): SlaTransition {
  const reason = change.reason ?? "priority_change";
  const status = change.status ?? t.status;
  const out: SlaChanges = {};
  const events: SlaEventDraft[] = [];
  let pausedAt = t.slaPausedAt;
  let pausedSeconds = t.slaPausedSeconds;
  let resolvedAt = t.resolvedAt;
  let recompute = change.priority !== undefined;

  if (change.status !== undefined) {
    if (isFinished(status) && !resolvedAt) {
      resolvedAt = now;
      out.resolvedAt = now;
    }
    if (!isFinished(status) && resolvedAt && t.status === "solved") {
      resolvedAt = null;
      out.resolvedAt = null;
      recompute = true;
      events.push({ metric: "resolution", kind: "apply", at: now, dueAt: null, data: { reason: "reopened" } });
    }
    const shouldPause = policy.pauseOn.includes(status) && !resolvedAt;
    if (pausedAt && !shouldPause) {
      const paused = pausedBusinessSeconds(clock, pausedAt, now);
      pausedSeconds += paused;
      pausedAt = null;
      recompute = true;
      Object.assign(out, { slaPausedAt: null, slaPausedSeconds: pausedSeconds });
      events.push({
        metric: "resolution",
        kind: "resume",
        at: now,
        dueAt: null,
        data: { pausedSeconds: paused, totalPausedSeconds: pausedSeconds },
      });
    } else if (!pausedAt && shouldPause) {
      pausedAt = now;
      out.slaPausedAt = now;
      events.push({ metric: "resolution", kind: "pause", at: now, dueAt: t.resolveDue, data: { status } });
    }
    if (out.resolvedAt) {
      events.push({
        metric: "resolution",
        kind: "fulfill",
        at: now,
        dueAt: t.resolveDue,
        data: { late: t.resolveDue ? now > t.resolveDue : false },
      });
    }
  }

  if (recompute) {
    if (change.priority !== undefined && !t.firstResponseAt) {
      const first = due(() => firstResponseDueAt(clock, policy, t.createdAt));
      out.firstResponseDue = first.due;
      events.push({
        metric: "first_response",
        kind: "apply",
        at: now,
        dueAt: first.due,
        data: { reason, priority: change.priority, ...first.noDue },
      });
    }
    if (!resolvedAt && !pausedAt) {
      const resolve = due(() => resolveDueAt(clock, policy, t.createdAt, pausedSeconds));
      out.resolveDue = resolve.due;
      events.push({
        metric: "resolution",
        kind: "apply",
        at: now,
        dueAt: resolve.due,
        data: { reason: change.priority ? reason : "resumed", pausedSeconds, ...resolve.noDue },
      });
    }
  }
  return { changes: out, events };
}

type CommentKind = { publicStaffReply: boolean; customerReply: boolean };

/** Whether a comment starts a next-response metric (then the caller needs the ticket's policy). */
export function startsNextResponse(t: Pick<SlaTicket, "firstResponseAt" | "nextResponseDue">, c: CommentKind): boolean {
  return !c.publicStaffReply && c.customerReply && t.firstResponseAt !== null && !t.nextResponseDue;
}

/**
 * A comment: the first public staff reply fulfils first response (once); a public staff reply
 * fulfils a running next-response metric; a customer reply after the first response starts one
 * (policy nextResponseMinutes; `rules` is only read then, and may be null when there is no policy).
 * A status change the comment causes is `slaOnUpdate`'s business.
 */
export function slaOnComment(
  rules: { policy: SlaRules; clock: SlaClock } | null,
  t: SlaTicket,
  c: CommentKind,
  now: Date,
): SlaTransition {
  const out: SlaChanges = {};
  const events: SlaEventDraft[] = [];
  if (c.publicStaffReply) {
    if (!t.firstResponseAt) {
      out.firstResponseAt = now;
      events.push({
        metric: "first_response",
        kind: "fulfill",
        at: now,
        dueAt: t.firstResponseDue,
        data: { late: t.firstResponseDue ? now > t.firstResponseDue : false },
      });
    }
    if (t.nextResponseDue) {
      out.nextResponseDue = null;
      events.push({
        metric: "next_response",
        kind: "fulfill",
        at: now,
        dueAt: t.nextResponseDue,
        data: { late: now > t.nextResponseDue },
      });
    }
  } else if (startsNextResponse(t, c) && rules?.policy.nextResponseMinutes) {
    const next = due(() => nextResponseDueAt(rules.clock, rules.policy, now));
    out.nextResponseDue = next.due;
    events.push({ metric: "next_response", kind: "apply", at: now, dueAt: next.due, data: { ...next.noDue } });
  }
  return { changes: out, events };
}
