import "server-only";
import { and, eq } from "drizzle-orm";
import { comments, tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { runTriggers } from "../automation/run-triggers";
import { renderMarkdown } from "../markdown/render";
import { enqueue } from "../jobs/enqueue";
import { snapshotTicketEvent } from "../notifications/event-snapshot";
import { QUEUES } from "../jobs/queues";
import { applySlaOnCreate } from "../sla/apply";
import { auditActor } from "../authz/actor";
import { nextTicketNumber } from "./load-ticket";
import { assertCan, assertMayCreateTicketWith } from "../authz/permissions";
import type { AnyTicketView, CreateTicket } from "./schemas";
import type { CommentVia } from "./comment-via";
import { ticketColumns, ticketViewer } from "./ticket-view";
import { applyCustomFields } from "../fields/custom-values";

/**
 * Opens a ticket with its first message. Customers are always their own requester and may not set
 * priority or tags (403 naming the fields, before anything is written); agents and admins may open
 * one for any user of the org. Number, ticket, first comment, SLA due dates and the audit event
 * commit together.
 */
export async function createTicket(scope: Scope, input: CreateTicket, via: CommentVia = {}): Promise<AnyTicketView> {
  const { tx, user } = scope;
  assertCan(user, "ticket.create");
  assertMayCreateTicketWith(user, input);
  let requesterId = user.userId;
  if (input.requesterId && input.requesterId !== user.userId) {
    assertCan(user, "ticket.create.for_other_requester", undefined, "customers open tickets for themselves only");
    const [r] = await tx.select({ id: users.id }).from(users).where(and(eq(users.id, input.requesterId))).limit(1);
    if (!r) {
      throw new AppError("validation_failed", "requesterId is not a user of this organization", {
        issues: [{ in: "body", path: "requesterId", message: "is not a user of this organization" }],
      });
    }
    requesterId = r.id;
  }
  // Checked against the org's field definitions; mail has no form, so required fields are not asked of it.
  const custom = await applyCustomFields(scope, { current: {}, input: input.customFields, creating: via.channel !== "email" });
  const number = await nextTicketNumber(tx, user.orgId);
  const now = new Date();
  const [created] = await tx
    .insert(tickets)
    .values({
      orgId: user.orgId,
      number,
      subject: input.subject,
      requesterId,
      priority: input.priority ?? "normal",
      tags: input.tags ?? [],
      customFields: custom?.values ?? {},
      status: "new",
      createdAt: now,
      updatedAt: now,
    })
    .returning(ticketColumns);
  const [comment] = await tx
    .insert(comments)
    .values({ orgId: user.orgId, ticketId: created!.id, authorId: user.userId, body: input.body, bodyHtml: renderMarkdown(input.body), internal: false, channel: via.channel ?? "web", email: via.email ?? null, createdAt: now })
    .returning({ id: comments.id });
  const ticket = await applySlaOnCreate(tx, created!);
  await recordAudit(tx, auditActor(scope), {
    action: "ticket.created",
    entityType: "ticket",
    entityId: ticket.id,
    data: { number, subject: ticket.subject, priority: ticket.priority, requesterId, tags: ticket.tags, commentId: comment!.id, ...(custom && Object.keys(custom.values).length ? { customFields: custom.values } : {}) },
  });
  await enqueue(tx, QUEUES.notify.name, { orgId: user.orgId, kind: "ticket.created", ticketId: ticket.id, actorId: user.userId, snapshot: await snapshotTicketEvent(tx, ticket.id) });
  // The org's triggers run last, in this transaction, on the ticket as written (SPEC §12).
  const auto = await runTriggers(scope, { ticketId: ticket.id, event: "created", channel: via.channel, body: input.body, ticket });
  return (await ticketViewer(scope))(auto?.ticket ?? ticket, now);
}
