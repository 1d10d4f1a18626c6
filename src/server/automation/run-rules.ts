import "server-only";
import { eq, inArray, sql } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import type { Tx } from "../db/tenant";
import { automations, triggers } from "../db/schema/automation";
import { lockAuditHead, recordAudit } from "../audit/record-audit";
import { enqueue } from "../jobs/enqueue";
import { asChanges, snapshotTicketEvent } from "../jobs/event-snapshot";
import { QUEUES } from "../jobs/queues";
import { logger } from "../observability/logger";
import { slaChangesOnUpdate, slaNextCheck, writeSlaCheck } from "../sla/apply";
import { ticketColumns, type TicketRow } from "../ticket-model/ticket-view";
import { diffState, planRun, type ChangeFacts, type CompiledRule, type TicketState } from "./evaluate";
import { executeActions, type Effect, type RunContext } from "./execute-actions";

export type RuleKind = "trigger" | "automation";
export type FiredRule = {
  id: string;
  name: string;
  changes: Record<string, { from: unknown; to: unknown }>;
  effects: Effect[];
};
export type RunSummary = {
  fired: FiredRule[];
  failed: { id: string; error: string }[];
  rounds: number;
  ticket: TicketRow;
};

export function stateOf(t: TicketRow, requesterEmail: string): TicketState {
  return {
    status: t.status,
    priority: t.priority,
    assigneeId: t.assigneeId,
    groupId: t.groupId,
    requesterId: t.requesterId,
    requesterDomain: (requesterEmail.split("@")[1] ?? "").toLowerCase(),
    subject: t.subject,
    tags: [...t.tags].sort(),
  };
}

/** SPEC §6's `breached`, any metric: due passed unfulfilled (a paused resolution clock stopped at the pause). */
export function slaBreached(t: TicketRow, now: Date): boolean {
  const late = (due: Date | null, ref: Date) => due !== null && ref.getTime() > due.getTime();
  return (
    late(t.firstResponseDue, t.firstResponseAt ?? now) ||
    late(t.resolveDue, t.resolvedAt ?? t.slaPausedAt ?? now) ||
    late(t.nextResponseDue, now)
  );
}

/**
 * Runs rules on one ticket (see planRun) in the caller's transaction. Each firing executes inside
 * a savepoint, so a rule that fails leaves nothing half-done: it is skipped, logged and recorded
 * on the rule (last_error) while the write and the other rules go on. The net field changes are
 * written once at the end, with the SLA consequences of a status or priority change, and every
 * fired rule gets its own audit event on the ticket — the history shows which rule changed what.
 */
export async function runRules(
  run: RunContext,
  kind: RuleKind,
  rules: readonly CompiledRule[],
  initial: TicketState,
  facts: ChangeFacts,
): Promise<RunSummary> {
  const fired = new Map<string, FiredRule>();
  if (rules.length === 0) return { fired: [], failed: [], rounds: 0, ticket: run.ticket };
  let locked = false;
  const plan = await planRun(rules, initial, facts, async (rule, state) => {
    // Before the first action, the org's audit-chain lock (the key recordAudit uses), ahead of any
    // lock an action takes (a group's round-robin row, the rule rows): a ticket write already holds
    // it when its triggers run, so the worker's time rules take locks in the same order and the two
    // can never deadlock. A run where nothing matches takes no lock at all.
    if (!locked) await lockOrgChain(run.tx, run.orgId);
    locked = true;
    const r = await run.tx.transaction((sp) => executeActions({ ...run, tx: sp }, rule, state));
    fired.set(rule.id, { id: rule.id, name: rule.name, changes: diffState(state, r.state), effects: r.effects });
    return r.state;
  });
  const ticket = await persistState(run, initial, plan.state);
  for (const id of plan.fired) {
    const f = fired.get(id)!;
    await recordAudit(
      run.tx,
      { orgId: run.orgId, actorId: run.actorId, requestId: run.requestId },
      {
        // A time rule that closes a ticket is an auto-close, under the name the history and the
        // audit log have always used for it (the default rule, decision 042); otherwise ticket.automation.
        action: kind === "automation" && f.changes.status?.to === "closed" ? "ticket.auto_closed" : "ticket.automation",
        entityType: "ticket",
        entityId: run.ticket.id,
        data: { kind, ruleId: f.id, ruleName: f.name, changes: f.changes, effects: f.effects.map(effectSummary) },
      },
    );
  }
  const table = kind === "trigger" ? triggers : automations;
  if (plan.fired.length)
    await run.tx
      .update(table)
      .set({ firedCount: sql`${table.firedCount} + 1` })
      .where(inArray(table.id, plan.fired));
  if (plan.failed.length) {
    const log = logger().child({
      component: "automation",
      orgId: run.orgId,
      requestId: run.requestId,
      ticketId: run.ticket.id,
    });
    for (const f of plan.failed) {
      log.warn({ kind, ruleId: f.id, err: f.error }, "automation rule failed and was skipped");
      await run.tx
        .update(table)
        .set({ lastError: f.error.slice(0, 1000), lastErrorAt: sql`now()` })
        .where(eq(table.id, f.id));
    }
  }
  return { fired: plan.fired.map((id) => fired.get(id)!), failed: plan.failed, rounds: plan.rounds, ticket };
}

/**
 * The org's audit-chain lock (the key recordAudit takes). Whatever applies actions takes it before
 * them, so every path locks in one order: ticket row, audit chain, then a group's row.
 */
export async function lockOrgChain(tx: Tx, orgId: string): Promise<void> {
  await lockAuditHead(tx, orgId);
}

/** What the history keeps of an effect: who and what, not whole message bodies. */
export function effectSummary(e: Effect): Record<string, unknown> {
  switch (e.type) {
    case "note":
      return { type: "note" };
    case "email":
      return { type: "email", to: e.to, subject: e.subject };
    case "notify":
      return { type: "notify", to: e.to, title: e.title };
    default:
      return e;
  }
}

/**
 * Writes the difference between two states to the ticket, as PATCH would: SLA re-applied for a
 * status or priority change, closedAt on close, version bumped, the new assignee notified.
 */
export async function persistState(run: RunContext, before: TicketState, after: TicketState): Promise<TicketRow> {
  const diff = diffState(before, after);
  if (Object.keys(diff).length === 0) return run.ticket;
  const t = run.ticket;
  const now = new Date();
  const set: Partial<TicketRow> = {};
  if (diff.status) set.status = after.status;
  if (diff.priority) set.priority = after.priority;
  if (diff.assigneeId) set.assigneeId = after.assigneeId;
  if (diff.groupId) set.groupId = after.groupId;
  if (diff.tags) set.tags = after.tags;
  const sla =
    set.status || set.priority
      ? await slaChangesOnUpdate(run.tx, t, { status: set.status, priority: set.priority }, now)
      : {};
  const [updated] = await run.tx
    .update(tickets)
    .set({
      ...set,
      ...sla,
      closedAt: set.status === "closed" ? now : t.closedAt,
      updatedAt: now,
      version: sql`${tickets.version} + 1`,
    })
    .where(eq(tickets.id, t.id))
    .returning(ticketColumns);
  if (set.status || set.priority)
    await writeSlaCheck(run.tx, run.orgId, t.id, await slaNextCheck(run.tx, { ...t, ...set, ...sla }, now));
  if (set.assigneeId) {
    const snapshot = await snapshotTicketEvent(run.tx, t.id, asChanges(diff));
    await enqueue(run.tx, QUEUES.notify.name, {
      orgId: run.orgId,
      kind: "ticket.assigned",
      ticketId: t.id,
      actorId: run.actorId,
      assigneeId: set.assigneeId,
      snapshot,
    });
  }
  return updated!;
}
