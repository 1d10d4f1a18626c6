import "server-only";
import { eq } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { calendars, slaEvents, slaPolicies } from "../db/schema/sla";
import { tickets } from "../db/schema/tickets";
import type { TicketPriority, TicketStatus } from "../db/schema/enums";
import type { TicketRow } from "../tickets/ticket-view";
import { orgs } from "../db/schema/orgs";
import { logger } from "../observability/logger";
import { CalendarError } from "./calendar";
import { nextCheckAt, runningMetrics, type SlaFieldsForCheck } from "./next-check";
import { clockFor, type SlaClock } from "./policy-clock";

// Applies SPEC §5 to a ticket's stored SLA fields. Every change is also an SlaEvent, so the
// history can be shown and audited. All durations are in seconds.

type Policy = typeof slaPolicies.$inferSelect;
type Loaded = { policy: Policy; clock: SlaClock };
type SlaEventInsert = typeof slaEvents.$inferInsert;

async function loadPolicy(tx: Tx, priority: TicketPriority): Promise<Loaded | null> {
  const [row] = await tx
    .select({ policy: slaPolicies, calendar: calendars })
    .from(slaPolicies)
    .leftJoin(calendars, eq(calendars.id, slaPolicies.calendarId))
    .where(eq(slaPolicies.priority, priority))
    .limit(1);
  if (!row) return null;
  return { policy: row.policy, clock: clockFor(row.policy, row.calendar) };
}

const FINAL: readonly TicketStatus[] = ["solved", "closed"];

/**
 * A due date, or null with the reason when it cannot be computed (a calendar that does not reach
 * the target within the engine's span, e.g. one stored before save-time checks existed). The
 * ticket write goes on with "no due date" and the reason in its SLA event, never a 500.
 */
function dueAt(p: Loaded, t: TicketRow, start: Date, seconds: number): { due: Date | null; noDue?: Record<string, unknown> } {
  try {
    return { due: p.clock.add(start, seconds) };
  } catch (err) {
    if (!(err instanceof CalendarError) && !(err instanceof RangeError)) throw err;
    logger().warn({ ticketId: t.id, policyId: p.policy.id, err: err.message }, "SLA due date cannot be computed; recorded as no due date");
    return { due: null, noDue: { noDueDate: true, reason: err.message } };
  }
}

function event(t: TicketRow, metric: SlaEventInsert["metric"], kind: SlaEventInsert["kind"], at: Date, dueAt: Date | null, data: Record<string, unknown> = {}): SlaEventInsert {
  return { orgId: t.orgId, ticketId: t.id, metric, kind, at, dueAt, data };
}

/** The org's warning lead time (settings.slaWarningMinutes, default 15) in seconds. */
export async function warningLeadSeconds(tx: Tx): Promise<number> {
  const [o] = await tx.select({ settings: orgs.settings }).from(orgs).limit(1);
  return (o?.settings.slaWarningMinutes ?? 15) * 60;
}

/** sla_next_check_at for a ticket as it will be after a write (see next-check.ts). */
export async function slaNextCheck(tx: Tx, t: SlaFieldsForCheck, now: Date): Promise<Date | null> {
  // Most writes on solved or fulfilled tickets have nothing running: skip the org settings read.
  if (runningMetrics(t).length === 0) return null;
  return nextCheckAt(t, await warningLeadSeconds(tx), now, "after-write");
}

/** A new ticket: due dates from its priority's policy, counted from createdAt. */
export async function applySlaOnCreate(tx: Tx, t: TicketRow): Promise<TicketRow> {
  const p = await loadPolicy(tx, t.priority);
  if (!p) return t;
  const first = dueAt(p, t, t.createdAt, p.policy.firstResponseMinutes * 60);
  const resolve = dueAt(p, t, t.createdAt, p.policy.resolveMinutes * 60);
  const [firstResponseDue, resolveDue] = [first.due, resolve.due];
  const slaNextCheckAt = await slaNextCheck(tx, { ...t, firstResponseDue, resolveDue }, t.createdAt);
  const [updated] = await tx
    .update(tickets)
    .set({ slaPolicyId: p.policy.id, firstResponseDue, resolveDue, slaNextCheckAt })
    .where(eq(tickets.id, t.id))
    .returning();
  await tx.insert(slaEvents).values([
    event(t, "first_response", "apply", t.createdAt, firstResponseDue, { priority: t.priority, ...first.noDue }),
    event(t, "resolution", "apply", t.createdAt, resolveDue, { priority: t.priority, ...resolve.noDue }),
  ]);
  return updated!;
}

type SlaFields = Partial<Pick<TicketRow, "slaPolicyId" | "firstResponseDue" | "firstResponseAt" | "nextResponseDue" | "resolveDue" | "resolvedAt" | "slaPausedAt" | "slaPausedSeconds" | "slaNextCheckAt">>;

/**
 * Status and priority changes: pause while the status is in the policy's pauseOn (first response
 * never pauses), resume moving resolveDue later by the paused business time, fulfil resolution on
 * solve, re-open it on reopen, and re-apply the policy from createdAt on a priority change,
 * keeping paused time and any metric already fulfilled.
 */
export async function slaChangesOnUpdate(
  tx: Tx,
  t: TicketRow,
  change: { status?: TicketStatus; priority?: TicketPriority; reason?: "priority_change" | "policy_change" },
  now: Date,
): Promise<SlaFields> {
  const p = await loadPolicy(tx, change.priority ?? t.priority);
  if (!p) {
    // No policy for the (new) priority: no targets, except what was already met stays on record.
    return change.priority
      ? { slaPolicyId: null, firstResponseDue: t.firstResponseAt ? t.firstResponseDue : null, resolveDue: t.resolvedAt ? t.resolveDue : null, nextResponseDue: null }
      : {};
  }
  const reason = change.reason ?? "priority_change";
  const status = change.status ?? t.status;
  const out: SlaFields = {};
  const events: SlaEventInsert[] = [];
  let pausedAt = t.slaPausedAt;
  let pausedSeconds = t.slaPausedSeconds;
  let resolvedAt = t.resolvedAt;
  let recompute = change.priority !== undefined;

  if (change.status !== undefined) {
    if (FINAL.includes(status) && !resolvedAt) {
      resolvedAt = now;
      out.resolvedAt = now;
    }
    if (!FINAL.includes(status) && resolvedAt && t.status === "solved") {
      resolvedAt = null;
      out.resolvedAt = null;
      recompute = true;
      events.push(event(t, "resolution", "apply", now, null, { reason: "reopened" }));
    }
    const shouldPause = p.policy.pauseOn.includes(status) && !resolvedAt;
    if (pausedAt && !shouldPause) {
      const paused = p.clock.between(pausedAt, now);
      pausedSeconds += paused;
      pausedAt = null;
      recompute = true;
      Object.assign(out, { slaPausedAt: null, slaPausedSeconds: pausedSeconds });
      events.push(event(t, "resolution", "resume", now, null, { pausedSeconds: paused, totalPausedSeconds: pausedSeconds }));
    } else if (!pausedAt && shouldPause) {
      pausedAt = now;
      out.slaPausedAt = now;
      events.push(event(t, "resolution", "pause", now, t.resolveDue, { status }));
    }
    if (out.resolvedAt) events.push(event(t, "resolution", "fulfill", now, t.resolveDue, { late: t.resolveDue ? now > t.resolveDue : false }));
  }

  if (recompute) {
    if (change.priority !== undefined) {
      out.slaPolicyId = p.policy.id;
      if (!t.firstResponseAt) {
        const first = dueAt(p, t, t.createdAt, p.policy.firstResponseMinutes * 60);
        out.firstResponseDue = first.due;
        events.push(event(t, "first_response", "apply", now, out.firstResponseDue, { reason, priority: change.priority, ...first.noDue }));
      }
    }
    if (!resolvedAt && !pausedAt) {
      const resolve = dueAt(p, t, t.createdAt, p.policy.resolveMinutes * 60 + pausedSeconds);
      out.resolveDue = resolve.due;
      events.push(event(t, "resolution", "apply", now, out.resolveDue, { reason: change.priority ? reason : "resumed", pausedSeconds, ...resolve.noDue }));
    }
  }
  if (events.length) await tx.insert(slaEvents).values(events);
  return out;
}

/**
 * A comment: the first public staff reply fulfils first response (once); a public staff reply
 * fulfils a running next-response metric; a customer reply after the first response starts one
 * (policy nextResponseMinutes). A status change caused by the comment is applied as well.
 */
export async function slaChangesOnComment(
  tx: Tx,
  t: TicketRow,
  c: { publicStaffReply: boolean; customerReply: boolean; nextStatus?: TicketStatus },
  now: Date,
): Promise<SlaFields> {
  const out: SlaFields = c.nextStatus ? await slaChangesOnUpdate(tx, t, { status: c.nextStatus }, now) : {};
  const events: SlaEventInsert[] = [];
  if (c.publicStaffReply) {
    if (!t.firstResponseAt) {
      out.firstResponseAt = now;
      events.push(event(t, "first_response", "fulfill", now, t.firstResponseDue, { late: t.firstResponseDue ? now > t.firstResponseDue : false }));
    }
    if (t.nextResponseDue) {
      out.nextResponseDue = null;
      events.push(event(t, "next_response", "fulfill", now, t.nextResponseDue, { late: now > t.nextResponseDue }));
    }
  } else if (c.customerReply && t.firstResponseAt && !t.nextResponseDue) {
    const p = await loadPolicy(tx, t.priority);
    if (p?.policy.nextResponseMinutes) {
      const next = dueAt(p, t, now, p.policy.nextResponseMinutes * 60);
      out.nextResponseDue = next.due;
      events.push(event(t, "next_response", "apply", now, out.nextResponseDue, { ...next.noDue }));
    }
  }
  if (events.length) await tx.insert(slaEvents).values(events);
  return out;
}
