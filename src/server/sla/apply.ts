import "server-only";
import { eq } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { calendars, slaEvents, slaPolicies } from "../db/schema/sla";
import { tickets } from "../db/schema/tickets";
import type { TicketPriority, TicketStatus } from "../db/schema/enums";
import type { TicketRow } from "../tickets/ticket-view";
import { orgs } from "../db/schema/orgs";
import { logger } from "../observability/logger";
import { nextCheckAt, runningMetrics, type SlaFieldsForCheck } from "./next-check";
import { storedPolicyClock, type SlaClock } from "./policy-clock";
import { slaOnComment, slaOnCreate, slaOnUpdate, startsNextResponse, type SlaEventDraft } from "./transitions";

// Applies SPEC §5 to a ticket's stored SLA fields: loads the policy of the ticket's priority, runs
// the pure transition (transitions.ts, where the rules live and the property tests drive them) and
// writes its SlaEvents, so the history can be shown and audited.

type Policy = typeof slaPolicies.$inferSelect;
type Loaded = { policy: Policy; clock: SlaClock };

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

/** Writes a transition's events; a due date recorded as none is also logged (decision 025). */
async function recordEvents(tx: Tx, t: TicketRow, policyId: string | null, events: SlaEventDraft[]): Promise<void> {
  if (!events.length) return;
  for (const e of events) {
    if (e.data.noDueDate) logger().warn({ ticketId: t.id, policyId, err: e.data.reason }, "SLA due date cannot be computed; recorded as no due date");
  }
  await tx.insert(slaEvents).values(events.map((e) => ({ orgId: t.orgId, ticketId: t.id, ...e })));
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
  const { changes, events } = slaOnCreate(p.policy, p.clock, t);
  const { firstResponseDue = null, resolveDue = null } = changes;
  const slaNextCheckAt = await slaNextCheck(tx, { ...t, firstResponseDue, resolveDue }, t.createdAt);
  const [updated] = await tx
    .update(tickets)
    .set({ slaPolicyId: p.policy.id, firstResponseDue, resolveDue, slaNextCheckAt })
    .where(eq(tickets.id, t.id))
    .returning();
  await recordEvents(tx, t, p.policy.id, events);
  return updated!;
}

type SlaFields = Partial<Pick<TicketRow, "slaPolicyId" | "firstResponseDue" | "firstResponseAt" | "nextResponseDue" | "resolveDue" | "resolvedAt" | "slaPausedAt" | "slaPausedSeconds" | "slaNextCheckAt">>;

type SlaChange = { status?: TicketStatus; priority?: TicketPriority; reason?: "priority_change" | "policy_change" };

/** Status and priority changes (see `slaOnUpdate`); no policy for the (new) priority means no targets. */
export async function slaChangesOnUpdate(tx: Tx, t: TicketRow, change: SlaChange, now: Date): Promise<SlaFields> {
  return changesWithPolicy(tx, await loadPolicy(tx, change.priority ?? t.priority), t, change, now);
}

async function changesWithPolicy(tx: Tx, p: Loaded | null, t: TicketRow, change: SlaChange, now: Date): Promise<SlaFields> {
  if (!p) {
    // No policy for the (new) priority: no targets, except what was already met stays on record.
    return change.priority
      ? { slaPolicyId: null, firstResponseDue: t.firstResponseAt ? t.firstResponseDue : null, resolveDue: t.resolvedAt ? t.resolveDue : null, nextResponseDue: null }
      : {};
  }
  const { changes, events } = slaOnUpdate(p.policy, p.clock, t, change, now);
  await recordEvents(tx, t, p.policy.id, events);
  return change.priority !== undefined ? { ...changes, slaPolicyId: p.policy.id } : changes;
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
  const out: SlaFields = c.nextStatus ? await changesWithPolicy(tx, p, t, { status: c.nextStatus }, now) : {};
  const { changes, events } = slaOnComment(p, t, c, now);
  await recordEvents(tx, t, p?.policy.id ?? null, events);
  return Object.assign(out, changes);
}
