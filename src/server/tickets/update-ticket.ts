import "server-only";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { groups } from "../db/schema/automation";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { runTriggers } from "../automation/run-triggers";
import { queueCustomerMail } from "../email/customer-mail";
import { enqueue } from "../jobs/enqueue";
import { asChanges, snapshotTicketEvent } from "../jobs/event-snapshot";
import { QUEUES } from "../jobs/queues";
import { slaChangesOnUpdate, slaNextCheck, writeSlaCheck } from "../sla/apply";
import { auditActor } from "../authz/actor";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { assertCan, can, STAFF_ROLES } from "../authz/permissions";
import { MAX_TAGS, type AnyTicketView, type UpdateTicket } from "./schemas";
import { ticketColumns, ticketViewer, type TicketRow } from "../ticket-model/ticket-view";
import { applyCustomFields } from "../fields/custom-values";
import { assertNotFinal, customerMayMove } from "../lifecycle/ticket-lifecycle";

type Field = "status" | "priority" | "assigneeId" | "groupId" | "subject" | "tags" | "customFields";

/**
 * PATCH a ticket. The row is locked first, so two agents updating at once both apply, in order,
 * to the current row (no lost update), and their audit events chain one after the other.
 */
export async function updateTicket(scope: Scope, id: string, input: UpdateTicket): Promise<AnyTicketView> {
  return (await updateVersionedTicket(scope, id, input)).ticket;
}

/**
 * updateTicket that returns the ticket's new version and, given `ifVersion` (the versions the
 * caller's If-Match names), changes nothing unless the stored version is one of them: a change
 * made from a stale read is refused with 412 and the current version, not applied over someone
 * else's (decision 038). Visibility is settled first, so a ticket one may not see stays a 404.
 */
export async function updateVersionedTicket(
  scope: Scope,
  id: string,
  input: UpdateTicket,
  ifVersion?: readonly number[],
): Promise<{ ticket: AnyTicketView; version: number }> {
  const { tx, user } = scope;
  const t = await loadVisibleTicket(tx, user, id, { forUpdate: true });
  if (ifVersion && !ifVersion.includes(t.version)) {
    throw new AppError(
      "precondition_failed",
      "the ticket has changed since that version; read it again and reapply your change",
      { version: t.version },
    );
  }
  assertNotFinal(t.status);

  const changes: Partial<Record<Field, { from: unknown; to: unknown }>> = {};
  const set: Partial<TicketRow> = {};

  if (input.status !== undefined && input.status !== t.status) {
    if (!can(user, "ticket.status.any")) {
      if (!customerMayMove(t.status, input.status) || !can(user, "ticket.status.solve_or_reopen", t)) {
        throw new AppError("forbidden", "customers may only mark their ticket solved or reopen it");
      }
    }
    changes.status = { from: t.status, to: input.status };
    set.status = input.status;
  }
  if (input.priority !== undefined && input.priority !== t.priority) {
    assertCan(user, "ticket.priority", t);
    changes.priority = { from: t.priority, to: input.priority };
    set.priority = input.priority;
  }
  if (input.assigneeId !== undefined && input.assigneeId !== t.assigneeId) {
    assertCan(user, "ticket.assign", t);
    if (input.assigneeId !== null) await assertAssignable(scope, input.assigneeId);
    changes.assigneeId = { from: t.assigneeId, to: input.assigneeId };
    set.assigneeId = input.assigneeId;
  }
  if (input.groupId !== undefined && input.groupId !== t.groupId) {
    assertCan(user, "ticket.assign", t);
    if (input.groupId !== null) await assertGroupOfOrg(scope, input.groupId);
    changes.groupId = { from: t.groupId, to: input.groupId };
    set.groupId = input.groupId;
  }
  if (input.subject !== undefined && input.subject !== t.subject) {
    assertCan(user, "ticket.subject", t);
    changes.subject = { from: t.subject, to: input.subject };
    set.subject = input.subject;
  }
  const tags = nextTags(t.tags, input);
  if (tags !== undefined && (input.addTags !== undefined || input.removeTags !== undefined))
    assertCan(user, "ticket.tags", t);
  if (tags !== undefined && tags.join(",") !== [...t.tags].sort().join(",")) {
    assertCan(user, "ticket.tags", t);
    changes.tags = { from: t.tags, to: tags };
    set.tags = tags;
  }
  // Custom field values, checked against the org's definitions; staff cannot solve without the required ones.
  const custom = await applyCustomFields(scope, {
    current: t.customFields,
    input: input.customFields,
    solving: set.status === "solved",
  });
  if (custom && Object.keys(custom.changes).length) {
    changes.customFields = { from: custom.changes, to: custom.values };
    set.customFields = custom.values;
  }
  if (Object.keys(changes).length === 0) return { ticket: (await ticketViewer(scope))(t), version: t.version };

  const now = new Date();
  const sla = await slaChangesOnUpdate(tx, t, { status: set.status, priority: set.priority }, now);
  const [updated] = await tx
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
  // Only a status or priority change moves the SLA clocks, and with them the scan's next check (sla_checks).
  if (set.status || set.priority)
    await writeSlaCheck(tx, user.orgId, t.id, await slaNextCheck(tx, { ...t, ...set, ...sla }, now));
  await recordAudit(tx, auditActor(scope), {
    action: "ticket.updated",
    entityType: "ticket",
    entityId: t.id,
    data: { changes },
  });
  if (set.assigneeId) {
    const snapshot = await snapshotTicketEvent(
      tx,
      t.id,
      asChanges(changes as Record<string, { from: unknown; to: unknown }>),
    );
    await enqueue(tx, QUEUES.notify.name, {
      orgId: user.orgId,
      kind: "ticket.assigned",
      ticketId: t.id,
      actorId: user.userId,
      assigneeId: set.assigneeId,
      snapshot,
    });
  }
  // The org's triggers run last, in this transaction; the answer shows what they changed too (SPEC §12).
  const auto = await runTriggers(scope, { ticketId: t.id, event: "updated", before: t, ticket: updated! });
  const final = auto?.ticket ?? updated!;
  // The customer's "solved" email (decision 040), once per solve: the version makes each solve its own event.
  if (final.status === "solved" && t.status !== "solved") {
    await queueCustomerMail(tx, {
      orgId: user.orgId,
      ticketId: t.id,
      kind: "solved",
      key: `v${final.version}`,
      actorId: user.userId,
    });
  }
  return { ticket: (await ticketViewer(scope))(final, now), version: final.version };
}

/** The tags after the change: the given list, or the current ones with addTags added and removeTags removed (sorted). */
function nextTags(current: readonly string[], input: UpdateTicket): string[] | undefined {
  if (input.tags !== undefined) return input.tags;
  if (input.addTags === undefined && input.removeTags === undefined) return undefined;
  const remove = new Set(input.removeTags ?? []);
  const next = [...new Set([...current, ...(input.addTags ?? [])])].filter((tag) => !remove.has(tag)).sort();
  if (next.length > MAX_TAGS) {
    const message = `a ticket has at most ${MAX_TAGS} tags; this change would leave ${next.length}`;
    throw new AppError("validation_failed", message, { issues: [{ in: "body", path: "addTags", message }] });
  }
  return next;
}

/** A group of this org (row-level security makes another org's group as unknown as a made-up id). */
async function assertGroupOfOrg(scope: Scope, groupId: string): Promise<void> {
  const [g] = await scope.tx.select({ id: groups.id }).from(groups).where(eq(groups.id, groupId)).limit(1);
  if (!g) {
    throw new AppError("validation_failed", "groupId must be an agent group of this organization", {
      issues: [{ in: "body", path: "groupId", message: "must be an agent group of this organization" }],
    });
  }
}

async function assertAssignable(scope: Scope, assigneeId: string): Promise<void> {
  const [a] = await scope.tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, assigneeId), inArray(users.role, [...STAFF_ROLES]), isNull(users.blockedAt)))
    .limit(1);
  if (!a) {
    throw new AppError("validation_failed", "assigneeId must be an active agent or admin of this organization", {
      issues: [{ in: "body", path: "assigneeId", message: "must be an active agent or admin of this organization" }],
    });
  }
}
