import "server-only";
import { and, asc, eq, inArray, sql } from "drizzle-orm";
import type { AnyPgColumn } from "drizzle-orm/pg-core";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import { AppError, notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { emailMessageIds, ticketCcs } from "../db/schema/email";
import { attachments, comments, tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import { queueCustomerMail } from "../email/customer-mail";
import { renderMarkdown } from "../markdown/render";
import { slaChangesOnUpdate, writeSlaCheck } from "../sla/apply";
import { ticketColumns, type TicketRow } from "../ticket-model/ticket-view";
import { assertNotFinal } from "../lifecycle/ticket-lifecycle";

// Merging a duplicate into another ticket of the same org (issue 14 item 4, SPEC §13, decision 051).
// Everything of the duplicate moves, keeping its own history (author, time, channel, email
// headers): comments, attachments, CCs, and the Message-IDs its mail was threaded by, so a reply
// to any mail of the duplicate lands on the target. The duplicate is closed with a pointer
// (tickets.merged_into_id) and an internal note; both tickets are audited; both requesters are
// told by email when the agent asks for it, through the email-customer queue ("merged" template).

/** A ticket named either by id or by its number (the merge dialog asks for a number). */
export const ZTicketTarget = z.strictObject({
  ticketId: z.uuid({ message: "must be a UUID" }).optional(),
  number: z.number().int().min(1).max(2_147_483_647).optional(),
});

export const ZMergeTicket = ZTicketTarget.extend({
  /** Email both requesters that the tickets were combined (default false). */
  notifyRequesters: z.boolean().optional(),
}).strict();
export type MergeTicket = z.infer<typeof ZMergeTicket>;

export const ZMergeResult = z.object({
  ticketId: z.uuid(),
  mergedIntoId: z.uuid(),
  mergedIntoNumber: z.number().int(),
  moved: z.object({
    comments: z.number().int(),
    attachments: z.number().int(),
    ccs: z.number().int(),
    messageIds: z.number().int(),
  }),
  /** How many customer emails were queued (0 when not asked, or when the org sends no email). */
  emailsQueued: z.number().int(),
});
export type MergeResult = z.infer<typeof ZMergeResult>;

/** The id a target names, or a 400 naming the field when it names none or both. */
export async function resolveTarget(
  scope: Scope,
  input: { ticketId?: string; number?: number },
  field = "ticketId",
): Promise<string> {
  if ((input.ticketId === undefined) === (input.number === undefined)) {
    const message = "give exactly one of ticketId and number";
    throw new AppError("validation_failed", message, { issues: [{ in: "body", path: field, message }] });
  }
  if (input.ticketId !== undefined) return input.ticketId;
  const [t] = await scope.tx
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.orgId, scope.user.orgId), eq(tickets.number, input.number!)))
    .limit(1);
  if (!t) throw notFound("ticket");
  return t.id;
}

/** Both tickets locked, in id order (two merges of the same pair in opposite directions cannot deadlock). */
async function lockPair(scope: Scope, a: string, b: string): Promise<Map<string, TicketRow>> {
  const rows = await scope.tx
    .select(ticketColumns)
    .from(tickets)
    .where(and(eq(tickets.orgId, scope.user.orgId), inArray(tickets.id, [a, b])))
    .orderBy(asc(tickets.id))
    .for("update");
  return new Map(rows.map((r) => [r.id, r]));
}

/** POST /tickets/{id}/merge: merge ticket `sourceId` into the ticket the body names. Staff only. */
export async function mergeTicket(scope: Scope, sourceId: string, input: MergeTicket): Promise<MergeResult> {
  assertCan(scope.user, "ticket.internal.view");
  const { tx, user } = scope;
  const [exists] = await tx
    .select({ id: tickets.id })
    .from(tickets)
    .where(and(eq(tickets.orgId, user.orgId), eq(tickets.id, sourceId)))
    .limit(1);
  if (!exists) throw notFound("ticket");
  const targetId = await resolveTarget(scope, input);
  if (targetId === sourceId) {
    const message = "a ticket cannot be merged into itself";
    throw new AppError("validation_failed", message, {
      issues: [{ in: "body", path: input.ticketId ? "ticketId" : "number", message }],
    });
  }
  const locked = await lockPair(scope, sourceId, targetId);
  const source = locked.get(sourceId);
  const target = locked.get(targetId);
  if (!source || !target) throw notFound("ticket");
  assertNotFinal(source.status, `ticket #${source.number} is closed; closed tickets are final and cannot be merged`);
  assertNotFinal(target.status, `ticket #${target.number} is closed and cannot receive a merge`);

  const now = new Date();
  const where = (t: { orgId: AnyPgColumn; ticketId: AnyPgColumn }) =>
    and(eq(t.orgId, user.orgId), eq(t.ticketId, sourceId));
  // Moved, not copied: each row keeps its id, author, time and email headers (its history).
  const movedComments = await tx
    .update(comments)
    .set({ ticketId: targetId })
    .where(where(comments))
    .returning({ id: comments.id });
  const movedFiles = await tx
    .update(attachments)
    .set({ ticketId: targetId })
    .where(where(attachments))
    .returning({ id: attachments.id });
  const movedIds = await tx
    .update(emailMessageIds)
    .set({ ticketId: targetId })
    .where(where(emailMessageIds))
    .returning({ m: emailMessageIds.messageId });
  // CCs move with when they were added and any bouncing mark; one already on the target stays as it is.
  // The duplicate's requester is copied too, so they keep receiving the conversation they started.
  const sourceCcs = await tx.delete(ticketCcs).where(where(ticketCcs)).returning();
  const [sourceRequester] = await tx
    .select({ email: users.email, role: users.role })
    .from(users)
    .where(and(eq(users.orgId, user.orgId), eq(users.id, source.requesterId)));
  const [targetRequester] = await tx
    .select({ email: users.email })
    .from(users)
    .where(and(eq(users.orgId, user.orgId), eq(users.id, target.requesterId)));
  const ccRows = sourceCcs.map((c) => ({ ...c, ticketId: targetId }));
  if (source.requesterId !== target.requesterId && sourceRequester?.role === "customer") {
    ccRows.push({
      orgId: user.orgId,
      ticketId: targetId,
      email: sourceRequester.email.toLowerCase(),
      bouncingAt: null,
      bouncingReason: null,
      createdAt: now,
    });
  }
  const targetEmail = targetRequester?.email.toLowerCase();
  const ccInsert = ccRows.filter((c) => c.email !== targetEmail);
  const movedCcs = ccInsert.length
    ? await tx.insert(ticketCcs).values(ccInsert).onConflictDoNothing().returning({ email: ticketCcs.email })
    : [];

  // The duplicate: closed, pointing at the target, with a note saying where its conversation went.
  const sla = await slaChangesOnUpdate(tx, source, { status: "closed" }, now);
  await tx
    .update(tickets)
    .set({
      ...sla,
      status: "closed",
      closedAt: now,
      mergedIntoId: targetId,
      updatedAt: now,
      version: sql`${tickets.version} + 1`,
    })
    .where(and(eq(tickets.orgId, user.orgId), eq(tickets.id, sourceId)));
  // Closed: the SLA scan has nothing more to do on it (its next check lives in sla_checks, decision 047).
  await writeSlaCheck(tx, user.orgId, sourceId, null);
  await tx
    .update(tickets)
    .set({ updatedAt: now, version: sql`${tickets.version} + 1` })
    .where(and(eq(tickets.orgId, user.orgId), eq(tickets.id, targetId)));
  const note = async (ticketId: string, body: string) =>
    tx.insert(comments).values({
      orgId: user.orgId,
      ticketId,
      authorId: user.userId,
      body,
      bodyHtml: renderMarkdown(body),
      internal: true,
      channel: "web",
      createdAt: now,
    });
  await note(
    sourceId,
    `Merged into #${target.number} (${target.subject}). Its conversation, files and CCs are there now.`,
  );
  await note(
    targetId,
    `#${source.number} (${source.subject}) was merged into this ticket: ${movedComments.length} comments and ${movedFiles.length} files moved here.`,
  );

  const moved = {
    comments: movedComments.length,
    attachments: movedFiles.length,
    ccs: movedCcs.length,
    messageIds: movedIds.length,
  };
  await recordAudit(tx, auditActor(scope), {
    action: "ticket.merged",
    entityType: "ticket",
    entityId: sourceId,
    data: {
      into: { id: targetId, number: target.number },
      moved,
      changes: { status: { from: source.status, to: "closed" } },
      notifyRequesters: input.notifyRequesters === true,
    },
  });
  await recordAudit(tx, auditActor(scope), {
    action: "ticket.merge_received",
    entityType: "ticket",
    entityId: targetId,
    data: { from: { id: sourceId, number: source.number }, moved },
  });

  let emailsQueued = 0;
  if (input.notifyRequesters) {
    // Both emails are sent as part of the target's thread (its Message-IDs now include the
    // duplicate's), so a reply from either requester lands on the target.
    const recipients = [...new Set([source.requesterId, target.requesterId])];
    for (const recipientId of recipients) {
      const key = `${sourceId}.${recipientId === source.requesterId ? "source" : "target"}`;
      if (
        await queueCustomerMail(tx, {
          orgId: user.orgId,
          ticketId: targetId,
          kind: "merged",
          key,
          actorId: user.userId,
          recipientId,
          mergedTicketId: sourceId,
        })
      )
        emailsQueued++;
    }
  }
  return { ticketId: sourceId, mergedIntoId: targetId, mergedIntoNumber: target.number, moved, emailsQueued };
}

/** The ticket a merged ticket points to, following merges of merges (at most a few hops). */
export async function mergeTarget(scope: Pick<Scope, "tx">, orgId: string, id: string): Promise<string> {
  let current = id;
  for (let hop = 0; hop < 10; hop++) {
    const [t] = await scope.tx
      .select({ next: tickets.mergedIntoId })
      .from(tickets)
      .where(and(eq(tickets.orgId, orgId), eq(tickets.id, current)))
      .limit(1);
    if (!t?.next) return current;
    current = t.next;
  }
  return current;
}

/** Tickets merged into this one (for the "merged from" list). */
export async function mergedFrom(scope: Scope, ticketId: string) {
  return scope.tx
    .select({ id: tickets.id, number: tickets.number, subject: tickets.subject, status: tickets.status })
    .from(tickets)
    .where(and(eq(tickets.orgId, scope.user.orgId), eq(tickets.mergedIntoId, ticketId)))
    .orderBy(asc(tickets.number));
}
