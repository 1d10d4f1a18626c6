import "server-only";
import { createHash } from "node:crypto";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { withTenant, type Tx } from "../db/tenant";
import { notifications, webhookDeliveries, webhooks } from "../db/schema/notifications";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { isFeatureEnabled } from "../flags/flags";
import { enqueue } from "../jobs/enqueue";
import { QUEUES, type NotifyJob } from "../jobs/queues";
import { orgSendsReplies } from "../email/outbound-reply";

type TicketForNotify = {
  id: string;
  number: number;
  subject: string;
  requesterId: string;
  assigneeId: string | null;
  status: string;
  priority: string;
};

/**
 * Who hears about what (issue 4): SLA warnings and breaches go to the assignee, or to every agent
 * and admin when unassigned; new tickets to agents and admins; assignment to the new assignee;
 * a public staff reply to the requester, a customer reply to the assignee. Never to the actor.
 */
async function recipients(tx: Tx, job: NotifyJob, t: TicketForNotify): Promise<{ id: string; role: string }[]> {
  const staff = async () =>
    (
      await tx
        .select({ id: users.id })
        .from(users)
        .where(and(inArray(users.role, ["agent", "admin"]), isNull(users.blockedAt)))
    ).map((u) => u.id);
  let ids: string[] = [];
  switch (job.kind) {
    case "sla.warning":
    case "sla.breach":
      ids = t.assigneeId ? [t.assigneeId] : await staff();
      break;
    case "ticket.created":
      ids = await staff();
      break;
    case "ticket.assigned":
      ids = job.assigneeId ? [job.assigneeId] : [];
      break;
    case "ticket.replied": {
      const author = job.actorId ?? null;
      ids = author === t.requesterId ? (t.assigneeId ? [t.assigneeId] : []) : [t.requesterId];
      break;
    }
  }
  const unique = [...new Set(ids)].filter((id) => id !== job.actorId);
  if (unique.length === 0) return [];
  return tx
    .select({ id: users.id, role: users.role })
    .from(users)
    .where(and(inArray(users.id, unique), isNull(users.blockedAt)));
}

/** The event's identity: (kind, ticket, metric, due date) for SLA events, the comment or assignee otherwise. */
export function eventKey(job: NotifyJob): string {
  const parts = [job.kind, job.ticketId, job.metric ?? "", job.dueAt ?? "", job.commentId ?? "", job.assigneeId ?? ""];
  return createHash("sha256").update(parts.join("|")).digest("hex").slice(0, 40);
}

/** A stable event id for a job without a snapshot: its event key in UUID form, the same however often the job runs. */
function uuidOfKey(key: string): string {
  const h = createHash("sha256").update(`beacon-event:${key}`).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/**
 * Handles a notify job: in-app notifications with one idempotency key per (event, recipient),
 * an email job for each notification created, and a webhook delivery per subscribed webhook —
 * all in one transaction, each guarded by a unique key, so a retried or duplicated job never
 * notifies twice. A channel switched off for the org (features `notifications_email`,
 * `webhooks`) gets nothing for this event, not even a queued job: the event is not replayed
 * when the channel comes back (runbook, "Turn a feature off").
 */
export async function handleNotify(job: NotifyJob): Promise<{ notified: number; webhooks: number }> {
  return withTenant(job.orgId, async (tx) => {
    const [t] = await tx
      .select({
        id: tickets.id,
        number: tickets.number,
        subject: tickets.subject,
        requesterId: tickets.requesterId,
        assigneeId: tickets.assigneeId,
        status: tickets.status,
        priority: tickets.priority,
      })
      .from(tickets)
      .where(eq(tickets.id, job.ticketId));
    if (!t) return { notified: 0, webhooks: 0 };
    const key = eventKey(job);
    // The ticket as it was at the event (decision 043); a job queued without one (jobs
    // from before the snapshot) reads it now.
    const snap = job.snapshot;
    const at = snap?.ticket ?? t;
    const payload = {
      ticket: { id: at.id, number: at.number, subject: at.subject, status: at.status, priority: at.priority },
      ...(job.metric ? { metric: job.metric, dueAt: job.dueAt } : {}),
      ...(job.commentId ? { commentId: job.commentId } : {}),
      ...(job.actorId ? { actorId: job.actorId } : {}),
    };
    const emailOn = await isFeatureEnabled(tx, job.orgId, "notifications_email");
    const webhooksOn = await isFeatureEnabled(tx, job.orgId, "webhooks");
    const to = await recipients(tx, job, t);
    // A customer of an org with a support address gets the staff reply itself by email (decision
    // 031), so no "you have a reply" email besides; the in-app notification stays. Asked only when
    // it can matter: an email would go to a customer.
    const staffActor = async () =>
      !!job.actorId &&
      (
        await tx
          .select({ id: users.id })
          .from(users)
          .where(and(eq(users.id, job.actorId), inArray(users.role, ["agent", "admin"])))
          .limit(1)
      ).length > 0;
    const replyEmailed =
      emailOn &&
      job.kind === "ticket.replied" &&
      to.some((r) => r.role === "customer") &&
      (await staffActor()) &&
      (await orgSendsReplies(tx, job.orgId));
    let notified = 0;
    // A customer's notification carries the customer view of the ticket: no staff-only priority.
    const { priority: _priority, ...customerTicket } = payload.ticket;
    for (const { id: userId, role } of to) {
      const own = role === "customer" ? { ...payload, ticket: customerTicket } : payload;
      const [n] = await tx
        .insert(notifications)
        .values({
          orgId: job.orgId,
          userId,
          kind: job.kind,
          ticketId: t.id,
          payload: own,
          idempotencyKey: `${key}:${userId}`,
        })
        .onConflictDoNothing()
        .returning({ id: notifications.id });
      if (!n) continue;
      notified++;
      if (emailOn && !(replyEmailed && role === "customer"))
        await enqueue(tx, QUEUES.email.name, { orgId: job.orgId, notificationId: n.id });
    }
    const hooks = webhooksOn
      ? await tx
          .select({ id: webhooks.id })
          .from(webhooks)
          .where(and(eq(webhooks.active, true), sql`${job.kind} = any(${webhooks.events})`))
      : [];
    let delivered = 0;
    const occurredAt = snap?.occurredAt ?? new Date().toISOString();
    const event = {
      eventId: snap?.eventId ?? uuidOfKey(key),
      event: job.kind,
      occurredAt,
      orgId: job.orgId,
      actor: job.actorId ? { type: "user", id: job.actorId } : { type: "system", id: null },
      ...payload,
      ticket: snap?.ticket ?? { ...payload.ticket, assigneeId: t.assigneeId, requesterId: t.requesterId },
      ...(snap?.changes ? { changes: snap.changes } : {}),
    };
    for (const h of hooks) {
      const [d] = await tx
        .insert(webhookDeliveries)
        .values({
          orgId: job.orgId,
          webhookId: h.id,
          event: job.kind,
          payload: event,
          idempotencyKey: key,
          ticketId: t.id,
          occurredAt: new Date(occurredAt),
        })
        .onConflictDoNothing()
        .returning({ id: webhookDeliveries.id });
      if (!d) continue;
      delivered++;
      await enqueue(tx, QUEUES.webhook.name, { orgId: job.orgId, deliveryId: d.id });
    }
    return { notified, webhooks: delivered };
  });
}
