import "server-only";
import { randomUUID } from "node:crypto";
import { and, asc, eq, inArray, isNull, sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { comments } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { groupMembers } from "../db/schema/automation";
import { notifications, webhookDeliveries, webhooks } from "../db/schema/notifications";
import { isFeatureEnabled } from "../flags/flags";
import { enqueue } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { renderMarkdown } from "../markdown/render";
import { env } from "../env";
import type { TicketRow } from "../ticket-model/ticket-view";
import { pickAssignee } from "./assignment";
import { applyFieldAction, type TicketState } from "./evaluate";
import { firstName, renderTemplate, type PlaceholderValues } from "../markdown/placeholders";
import type { Action } from "./rule-schemas";

/** Where a run happens and on what: one ticket, in one org's transaction. */
export type RunContext = {
  tx: Tx;
  orgId: string;
  /** The person whose write fired the rules (null for the worker's time rules). */
  actorId: string | null;
  actorName: string | null;
  requestId: string | null;
  ticket: TicketRow;
  requester: { id: string; name: string; email: string };
  orgName: string;
  /** Unique per change (trigger run) or per window (time rule): the idempotency keys derive from it. */
  runKey: string;
  /** Describe side effects without performing them, and peek at assignment without moving pointers. */
  dryRun?: boolean;
};

/** What an action did (or, in a dry run, would do), for the audit event and the preview. */
export type Effect =
  | { type: "note"; body: string }
  | { type: "email"; to: string[]; subject: string; body: string }
  | { type: "notify"; to: string[]; title: string; body: string }
  | { type: "webhook"; webhookId: string }
  | { type: "assign"; groupId: string; strategy: string; assigneeId: string | null };

type Rule = { id: string; actions: readonly Action[] };

/**
 * Applies one rule's actions to the ticket state (returned, written by the caller at the end of the
 * run) and performs its side effects in the transaction: internal notes, notifications with their
 * email jobs, webhook deliveries with their jobs. A side effect that cannot be done (a webhook or
 * group gone, no admin to sign a note) throws, and the caller skips the whole rule.
 */
export async function executeActions(
  run: RunContext,
  rule: Rule,
  initial: TicketState,
): Promise<{ state: TicketState; effects: Effect[] }> {
  let state = initial;
  const effects: Effect[] = [];
  for (const [i, a] of rule.actions.entries()) {
    const key = `auto:${run.runKey}:${rule.id}:${i}`;
    switch (a.type) {
      case "set_assignee":
        // Checked when the rule ran, not only when saved: the agent may have been blocked since.
        if (a.value !== null) {
          const [ok] = await run.tx
            .select({ id: users.id })
            .from(users)
            .where(and(eq(users.id, a.value), staffFilter))
            .limit(1);
          if (!ok) throw new Error(`assignee ${a.value} is not an active agent or admin of this organization`);
        }
        state = applyFieldAction(state, a);
        break;
      case "set_status":
      case "set_priority":
      case "add_tags":
      case "remove_tags":
        state = applyFieldAction(state, a);
        break;
      case "assign_group": {
        const picked = await pickAssignee(run.tx, a.groupId, a.strategy, { peek: run.dryRun });
        // The ticket joins the group even when nobody in it can take it now (all away): it waits in the group's queue.
        state = { ...state, groupId: a.groupId, ...(picked ? { assigneeId: picked } : {}) };
        effects.push({ type: "assign", groupId: a.groupId, strategy: a.strategy, assigneeId: picked });
        break;
      }
      case "add_note": {
        const body = renderTemplate(a.body, await placeholderValues(run, state));
        effects.push({ type: "note", body });
        if (!run.dryRun) {
          await run.tx.insert(comments).values({
            orgId: run.orgId,
            ticketId: run.ticket.id,
            authorId: await noteAuthor(run),
            body,
            bodyHtml: renderMarkdown(body),
            internal: true,
            channel: "web",
          });
        }
        break;
      }
      case "email_requester":
      case "email_group": {
        const to = a.type === "email_requester" ? [run.requester.id] : await groupRecipients(run.tx, a.groupId);
        const values = await placeholderValues(run, state);
        const subject = renderTemplate(a.subject, values);
        const body = renderTemplate(a.body, values);
        effects.push({ type: "email", to, subject, body });
        if (!run.dryRun) await notifyUsers(run, state, to, { title: subject, body, key, email: true });
        break;
      }
      case "notify": {
        const to = a.target === "assignee" ? (state.assigneeId ? [state.assigneeId] : []) : await allStaff(run.tx);
        const values = await placeholderValues(run, state);
        const title = renderTemplate(a.title, values);
        const body = renderTemplate(a.body, values);
        effects.push({ type: "notify", to, title, body });
        if (!run.dryRun) await notifyUsers(run, state, to, { title, body, key, email: true });
        break;
      }
      case "webhook": {
        const [hook] = await run.tx
          .select({ id: webhooks.id })
          .from(webhooks)
          .where(and(eq(webhooks.id, a.webhookId), eq(webhooks.active, true)))
          .limit(1);
        if (!hook) throw new Error(`webhook ${a.webhookId} is missing or inactive`);
        effects.push({ type: "webhook", webhookId: hook.id });
        if (!run.dryRun) await callWebhook(run, state, hook.id, key);
        break;
      }
    }
  }
  return { state, effects };
}

const staffFilter = and(inArray(users.role, ["agent", "admin"]), isNull(users.blockedAt));

async function allStaff(tx: Tx): Promise<string[]> {
  return (await tx.select({ id: users.id }).from(users).where(staffFilter)).map((u) => u.id);
}

async function groupRecipients(tx: Tx, groupId: string): Promise<string[]> {
  const rows = await tx
    .select({ id: users.id })
    .from(groupMembers)
    .innerJoin(users, and(eq(users.orgId, groupMembers.orgId), eq(users.id, groupMembers.userId)))
    .where(and(eq(groupMembers.groupId, groupId), isNull(users.blockedAt)));
  return rows.map((r) => r.id);
}

/**
 * Automation notes need an author (comments.author_id): the person whose write fired the rule when
 * that is staff, else the org's first admin (a customer must never appear as an internal note's author).
 */
async function noteAuthor(run: RunContext): Promise<string> {
  const [staff] = run.actorId
    ? await run.tx
        .select({ id: users.id })
        .from(users)
        .where(and(eq(users.id, run.actorId), staffFilter))
        .limit(1)
    : [];
  if (staff) return staff.id;
  const [admin] = await run.tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, "admin"), isNull(users.blockedAt)))
    .orderBy(asc(users.createdAt))
    .limit(1);
  if (!admin) throw new Error("no active admin in the organization to author the automation note");
  return admin.id;
}

/** The values of every placeholder for this ticket as the state has it (notes, messages, macro replies). */
export async function placeholderValues(run: RunContext, state: TicketState): Promise<PlaceholderValues> {
  let assignee: { name: string } | undefined;
  if (state.assigneeId)
    [assignee] = await run.tx.select({ name: users.name }).from(users).where(eq(users.id, state.assigneeId)).limit(1);
  const base = env().NEXTAUTH_URL ?? `http://localhost:${env().PORT}`;
  return {
    "requester.name": run.requester.name,
    "requester.first_name": firstName(run.requester.name),
    "requester.email": run.requester.email,
    "assignee.name": assignee?.name ?? "",
    "assignee.first_name": firstName(assignee?.name),
    "agent.name": run.actorName ?? "",
    "agent.first_name": firstName(run.actorName),
    "ticket.number": String(run.ticket.number),
    "ticket.subject": run.ticket.subject,
    "ticket.status": state.status,
    "ticket.priority": state.priority,
    "ticket.url": `${base}/tickets/${run.ticket.id}`,
    "org.name": run.orgName,
  };
}

/** In-app notifications (kind automation.message) and, when the org's email channel is on, their email jobs. */
async function notifyUsers(
  run: RunContext,
  state: TicketState,
  userIds: string[],
  msg: { title: string; body: string; key: string; email: boolean },
): Promise<void> {
  const ids = [...new Set(userIds)];
  if (ids.length === 0) return;
  const emailOn = msg.email && (await isFeatureEnabled(run.tx, run.orgId, "notifications_email"));
  const payload = {
    ticket: { id: run.ticket.id, number: run.ticket.number, subject: run.ticket.subject, status: state.status },
    title: msg.title,
    body: msg.body,
  };
  const created = await run.tx
    .insert(notifications)
    .values(
      ids.map((userId) => ({
        orgId: run.orgId,
        userId,
        kind: "automation.message",
        ticketId: run.ticket.id,
        payload,
        idempotencyKey: `${msg.key}:${userId}`,
      })),
    )
    .onConflictDoNothing()
    .returning({ id: notifications.id });
  if (emailOn)
    for (const n of created) await enqueue(run.tx, QUEUES.email.name, { orgId: run.orgId, notificationId: n.id });
}

/** A delivery on the webhook queue (signed, retried, through the outbound guard like every webhook). */
async function callWebhook(run: RunContext, state: TicketState, webhookId: string, key: string): Promise<void> {
  // Switched off for the org: nothing queued, as for every other event (not replayed later).
  if (!(await isFeatureEnabled(run.tx, run.orgId, "webhooks"))) return;
  const event = "automation.rule";
  // When it happened, on the database's clock like every other event of the ticket (decision 043: one ticket's deliveries go out in order).
  const at = (
    await run.tx.execute<{ at: string }>(
      sql`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at`,
    )
  ).rows[0]!.at;
  const [d] = await run.tx
    .insert(webhookDeliveries)
    .values({
      orgId: run.orgId,
      webhookId,
      event,
      idempotencyKey: key,
      ticketId: run.ticket.id,
      occurredAt: new Date(at),
      payload: {
        eventId: randomUUID(),
        event,
        occurredAt: at,
        orgId: run.orgId,
        actor: run.actorId ? { type: "user", id: run.actorId } : { type: "system", id: null },
        ticket: {
          id: run.ticket.id,
          number: run.ticket.number,
          subject: run.ticket.subject,
          status: state.status,
          priority: state.priority,
          assigneeId: state.assigneeId,
          tags: state.tags,
        },
      },
    })
    .onConflictDoNothing()
    .returning({ id: webhookDeliveries.id });
  if (d) await enqueue(run.tx, QUEUES.webhook.name, { orgId: run.orgId, deliveryId: d.id });
}
