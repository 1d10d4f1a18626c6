import "server-only";
import { and, eq, sql, type SQL } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { calendars, slaChecks, slaEvents, slaPolicies } from "../db/schema/sla";
import type { TicketPriority, TicketStatus } from "../db/schema/enums";
import type { TicketRow } from "../ticket-model/ticket-view";
import { orgs } from "../db/schema/orgs";
import { logger } from "../observability/logger";
import { nextCheckAt, runningMetrics, type SlaFieldsForCheck } from "./next-check";
import { storedPolicyClock, type SlaClock } from "./policy-clock";
import { slaOnComment, slaOnUpdate, startsNextResponse, type SlaEventDraft } from "./transitions";

// Applies SPEC §5 to a ticket's stored SLA fields: loads the policy of the ticket's priority, runs
// the pure transition (transitions.ts, where the rules live and the property tests drive them) and
// writes its SlaEvents, so the history can be shown and audited.

type Policy = typeof slaPolicies.$inferSelect;
export type Loaded = { policy: Policy; clock: SlaClock };

async function loadPolicy(tx: Tx, priority: TicketPriority): Promise<Loaded | null> {
  const [row] = await tx
    .select({ policy: slaPolicies, calendar: calendars })
    .from(slaPolicies)
    .leftJoin(calendars, eq(calendars.id, slaPolicies.calendarId))
    .where(eq(slaPolicies.priority, priority))
    .limit(1);
  if (!row) return null;
  return { policy: row.policy, clock: storedPolicyClock(row.policy, row.calendar) };
}

/** A transition's event rows; a due date recorded as none is also logged (decision 025). */
export function slaEventRows(
  t: Pick<TicketRow, "orgId" | "id">,
  policyId: string | null,
  events: SlaEventDraft[],
): (typeof slaEvents.$inferInsert)[] {
  for (const e of events) {
    if (e.data.noDueDate)
      logger().warn(
        { ticketId: t.id, policyId, err: e.data.reason },
        "SLA due date cannot be computed; recorded as no due date",
      );
  }
  return events.map((e) => ({ orgId: t.orgId, ticketId: t.id, ...e }));
}

/** Writes a transition's events. */
async function recordEvents(tx: Tx, t: TicketRow, policyId: string | null, events: SlaEventDraft[]): Promise<void> {
  if (!events.length) return;
  await tx.insert(slaEvents).values(slaEventRows(t, policyId, events));
}

/**
 * The statement that keeps a ticket's row in sla_checks (decision 047): its next check, or no row
 * when nothing runs. A write folds it into its own statement as a CTE, or runs it (writeSlaCheck).
 */
export function slaCheckStatement(tx: Tx, orgId: string, ticketId: string, at: Date | null): SQL {
  if (at === null)
    return tx
      .delete(slaChecks)
      .where(and(eq(slaChecks.orgId, orgId), eq(slaChecks.ticketId, ticketId)))
      .getSQL();
  return tx
    .insert(slaChecks)
    .values({ orgId, ticketId, nextCheckAt: at })
    .onConflictDoUpdate({
      target: [slaChecks.orgId, slaChecks.ticketId],
      set: { nextCheckAt: sql`excluded.next_check_at` },
    })
    .getSQL();
}

/** Writes a ticket's next SLA check (see slaCheckStatement). */
export async function writeSlaCheck(tx: Tx, orgId: string, ticketId: string, at: Date | null): Promise<void> {
  await tx.execute(slaCheckStatement(tx, orgId, ticketId, at));
}

/** The org's warning lead time (settings.slaWarningMinutes, default 15) in seconds. */
export async function warningLeadSeconds(tx: Tx): Promise<number> {
  const [o] = await tx.select({ settings: orgs.settings }).from(orgs).limit(1);
  return (o?.settings.slaWarningMinutes ?? 15) * 60;
}

/** The next SLA check (sla_checks) of a ticket as it will be after a write (see next-check.ts). */
export async function slaNextCheck(tx: Tx, t: SlaFieldsForCheck, now: Date): Promise<Date | null> {
  // Most writes on solved or fulfilled tickets have nothing running: skip the org settings read.
  if (runningMetrics(t).length === 0) return null;
  return nextCheckAt(t, await warningLeadSeconds(tx), now, "after-write");
}

type SlaFields = Partial<
  Pick<
    TicketRow,
    | "slaPolicyId"
    | "firstResponseDue"
    | "firstResponseAt"
    | "nextResponseDue"
    | "resolveDue"
    | "resolvedAt"
    | "slaPausedAt"
    | "slaPausedSeconds"
  >
>;

type SlaChange = { status?: TicketStatus; priority?: TicketPriority; reason?: "priority_change" | "policy_change" };

/** Status and priority changes (see `slaOnUpdate`); no policy for the (new) priority means no targets. */
export async function slaChangesOnUpdate(tx: Tx, t: TicketRow, change: SlaChange, now: Date): Promise<SlaFields> {
  return changesWithPolicy(tx, await loadPolicy(tx, change.priority ?? t.priority), t, change, now);
}

async function changesWithPolicy(
  tx: Tx,
  p: Loaded | null,
  t: TicketRow,
  change: SlaChange,
  now: Date,
): Promise<SlaFields> {
  const { changes, events } = updateWithPolicy(p, t, change, now);
  if (events.length) await recordEvents(tx, t, p?.policy.id ?? null, events);
  return changes;
}

/** `slaChangesOnUpdate` with the policy given (pure): the changes and the events to write. */
export function updateWithPolicy(
  p: Loaded | null,
  t: TicketRow,
  change: SlaChange,
  now: Date,
): { changes: SlaFields; events: SlaEventDraft[] } {
  if (!p) {
    // No policy for the (new) priority: no targets, except what was already met stays on record.
    const changes: SlaFields = change.priority
      ? {
          slaPolicyId: null,
          firstResponseDue: t.firstResponseAt ? t.firstResponseDue : null,
          resolveDue: t.resolvedAt ? t.resolveDue : null,
          nextResponseDue: null,
        }
      : {};
    return { changes, events: [] };
  }
  const { changes, events } = slaOnUpdate(p.policy, p.clock, t, change, now);
  return { changes: change.priority !== undefined ? { ...changes, slaPolicyId: p.policy.id } : changes, events };
}

/** A comment (see `slaOnComment`), and the status change it causes, if any. */
export async function slaChangesOnComment(
  tx: Tx,
  t: TicketRow,
  c: { publicStaffReply: boolean; customerReply: boolean; nextStatus?: TicketStatus },
  now: Date,
): Promise<SlaFields> {
  // One read of the policy serves both the status change (a customer reply reopening a pending
  // ticket) and the next-response metric that reply starts.
  const p = c.nextStatus || startsNextResponse(t, c) ? await loadPolicy(tx, t.priority) : null;
  const { changes, events } = commentWithPolicy(p, t, c, now);
  await recordEvents(tx, t, p?.policy.id ?? null, events);
  return changes;
}

/** `slaChangesOnComment` with the ticket's policy given (pure): the changes and the events to write, in order. */
export function commentWithPolicy(
  p: Loaded | null,
  t: TicketRow,
  c: { publicStaffReply: boolean; customerReply: boolean; nextStatus?: TicketStatus },
  now: Date,
): { changes: SlaFields; events: SlaEventDraft[] } {
  const status = c.nextStatus ? updateWithPolicy(p, t, { status: c.nextStatus }, now) : { changes: {}, events: [] };
  const comment = slaOnComment(p, t, c, now);
  return { changes: { ...status.changes, ...comment.changes }, events: [...status.events, ...comment.events] };
}
