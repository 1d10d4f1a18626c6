import "server-only";
import { eq, sql } from "drizzle-orm";
import { comments, tickets } from "../db/schema/tickets";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { runTriggers } from "../automation/run-triggers";
import { renderMarkdown } from "../markdown/render";
import { enqueue } from "../jobs/enqueue";
import { snapshotTicketEvent } from "../notifications/event-snapshot";
import { QUEUES } from "../jobs/queues";
import { slaChangesOnComment, slaNextCheck } from "../sla/apply";
import { auditActor } from "../authz/actor";
import { loadParticipantTicket, loadVisibleTicket } from "./load-ticket";
import type { CommentVia } from "./comment-via";
import { assertCan, isStaff } from "../authz/permissions";
import type { CommentView, CreateComment } from "./schemas";
import { ticketColumns, type TicketRow } from "./ticket-view";
import { toCommentView } from "./comment-view";
import { queueReplyEmail } from "../email/outbound-reply";

/**
 * Adds a public reply or an internal note (SPEC §5): the first public staff reply stamps
 * firstResponseAt once and moves new → open; the requester's reply reopens a pending or solved
 * ticket; a closed ticket takes no comments (409). Comment, SLA stamps and audit event commit
 * together.
 */
export async function addComment(scope: Scope, ticketId: string, input: CreateComment, via: CommentVia = {}): Promise<CommentView> {
  const { tx, user } = scope;
  // A CC replying by email is a participant the requester invited (SPEC §11), not the requester.
  const t = via.ccParticipant && !input.internal ? await loadParticipantTicket(tx, user.orgId, ticketId) : await loadVisibleTicket(tx, user, ticketId, { forUpdate: true });
  if (t.status === "closed") throw new AppError("conflict", "closed tickets are final; open a new ticket instead");
  if (!via.ccParticipant) assertCan(user, input.internal ? "ticket.comment.internal" : "ticket.comment.public", t);

  const now = new Date();
  const [c] = await tx
    .insert(comments)
    .values({ orgId: user.orgId, ticketId: t.id, authorId: user.userId, body: input.body, bodyHtml: renderMarkdown(input.body), internal: input.internal, channel: via.channel ?? "web", email: via.email ?? null, createdAt: now })
    .returning();

  const staff = isStaff(user);
  const set: Partial<TicketRow> = {};
  if (!input.internal && staff && t.status === "new") set.status = "open";
  if (!input.internal && !staff && (t.status === "pending" || t.status === "solved")) set.status = "open";
  const sla = await slaChangesOnComment(tx, t, { publicStaffReply: staff && !input.internal, customerReply: !staff, nextStatus: set.status }, now);
  sla.slaNextCheckAt = await slaNextCheck(tx, { ...t, ...set, ...sla }, now);
  const [written] = await tx
    .update(tickets)
    .set({ ...set, ...sla, updatedAt: now, version: sql`${tickets.version} + 1` })
    .where(eq(tickets.id, t.id))
    .returning(ticketColumns);
  await recordAudit(tx, auditActor(scope), {
    action: input.internal ? "ticket.note_added" : "ticket.replied",
    entityType: "ticket",
    entityId: t.id,
    data: { commentId: c!.id, internal: input.internal, ...(set.status ? { status: { from: t.status, to: set.status } } : {}) },
  });
  if (!input.internal) {
    const snapshot = await snapshotTicketEvent(tx, t.id, set.status ? { status: [t.status, set.status] } : undefined);
    await enqueue(tx, QUEUES.notify.name, { orgId: user.orgId, kind: "ticket.replied", ticketId: t.id, actorId: user.userId, commentId: c!.id, snapshot });
    // The reply itself goes to the requester and CCs by email, whatever channel it was written in (decision 031).
    if (staff) await queueReplyEmail(tx, { orgId: user.orgId, ticketId: t.id, commentId: c!.id });
  }
  // The org's triggers run last, in this transaction (SPEC §12).
  const event = input.internal ? "internal_note" : staff ? "staff_comment" : "customer_comment";
  await runTriggers(scope, { ticketId: t.id, event, channel: via.channel, body: input.body, before: t, ticket: written! });
  return toCommentView(c!);
}
