import "server-only";
import { and, asc, eq, or } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { auditActor } from "../authz/actor";
import { assertCan } from "../authz/permissions";
import { AppError, notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { tickets } from "../db/schema/tickets";
import { ticketLinks } from "../db/schema/customers";
import { mergedFrom, resolveTarget, ZTicketTarget } from "./merge-ticket";

// Related tickets ("see also", issue 14 item 4, decision 051): a link is one row for the pair
// (smaller id first), shown on both tickets. Staff only; each link and unlink is audited on both.

export const MAX_LINKS_PER_TICKET = 50;

export const ZTicketRef = z.object({ id: z.uuid(), number: z.number().int(), subject: z.string(), status: z.string() });
export const ZTicketLink = ZTicketRef.extend({ linkedAt: z.iso.datetime() });
export const ZTicketLinks = z.object({
  /** The ticket this one was merged into (it is closed then), or null. */
  mergedInto: z.object({ ...ZTicketRef.shape }).nullable(),
  /** Tickets merged into this one. */
  mergedFrom: z.array(ZTicketRef),
  /** Related tickets, newest link first. */
  data: z.array(ZTicketLink),
});
export type TicketLinks = z.infer<typeof ZTicketLinks>;
export const ZCreateTicketLink = ZTicketTarget;

const pair = (a: string, b: string) => (a < b ? { ticketA: a, ticketB: b } : { ticketA: b, ticketB: a });

async function ticketOf(scope: Scope, id: string) {
  const [t] = await scope.tx
    .select({
      id: tickets.id,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      mergedIntoId: tickets.mergedIntoId,
    })
    .from(tickets)
    .where(and(eq(tickets.orgId, scope.user.orgId), eq(tickets.id, id)))
    .limit(1);
  if (!t) throw notFound("ticket");
  return t;
}

/** GET /tickets/{id}/links: related tickets both ways, and the merge pointers. */
export async function listTicketLinks(scope: Scope, ticketId: string): Promise<TicketLinks> {
  assertCan(scope.user, "ticket.internal.view");
  const t = await ticketOf(scope, ticketId);
  const org = scope.user.orgId;
  const rows = await scope.tx
    .select({ a: ticketLinks.ticketA, b: ticketLinks.ticketB, at: ticketLinks.createdAt })
    .from(ticketLinks)
    .where(and(eq(ticketLinks.orgId, org), or(eq(ticketLinks.ticketA, ticketId), eq(ticketLinks.ticketB, ticketId))))
    .orderBy(asc(ticketLinks.createdAt));
  const data = [];
  for (const r of rows.reverse()) {
    const other = await ticketOf(scope, r.a === ticketId ? r.b : r.a);
    data.push({
      id: other.id,
      number: other.number,
      subject: other.subject,
      status: other.status,
      linkedAt: r.at.toISOString(),
    });
  }
  const into = t.mergedIntoId ? await ticketOf(scope, t.mergedIntoId) : null;
  return {
    mergedInto: into ? { id: into.id, number: into.number, subject: into.subject, status: into.status } : null,
    mergedFrom: await mergedFrom(scope, ticketId),
    data,
  };
}

/** POST /tickets/{id}/links: link a related ticket of the org (already linked: the same link). */
export async function linkTicket(
  scope: Scope,
  ticketId: string,
  input: z.infer<typeof ZCreateTicketLink>,
): Promise<z.infer<typeof ZTicketLink>> {
  assertCan(scope.user, "ticket.internal.view");
  const t = await ticketOf(scope, ticketId);
  const otherId = await resolveTarget(scope, input);
  if (otherId === ticketId) {
    const message = "a ticket cannot be linked to itself";
    throw new AppError("validation_failed", message, {
      issues: [{ in: "body", path: input.ticketId ? "ticketId" : "number", message }],
    });
  }
  const other = await ticketOf(scope, otherId);
  const org = scope.user.orgId;
  const count = await scope.tx.$count(
    ticketLinks,
    and(eq(ticketLinks.orgId, org), or(eq(ticketLinks.ticketA, ticketId), eq(ticketLinks.ticketB, ticketId))),
  );
  const [row] = await scope.tx
    .insert(ticketLinks)
    .values({ orgId: org, ...pair(ticketId, otherId), createdBy: scope.user.userId })
    .onConflictDoNothing()
    .returning();
  if (row) {
    if (count >= MAX_LINKS_PER_TICKET)
      throw new AppError("conflict", `a ticket has at most ${MAX_LINKS_PER_TICKET} links`);
    for (const [a, b] of [
      [t, other],
      [other, t],
    ] as const) {
      await recordAudit(scope.tx, auditActor(scope), {
        action: "ticket.linked",
        entityType: "ticket",
        entityId: a.id,
        data: { ticket: { id: b.id, number: b.number } },
      });
    }
  }
  const [link] = await scope.tx
    .select({ at: ticketLinks.createdAt })
    .from(ticketLinks)
    .where(
      and(
        eq(ticketLinks.orgId, org),
        eq(ticketLinks.ticketA, pair(ticketId, otherId).ticketA),
        eq(ticketLinks.ticketB, pair(ticketId, otherId).ticketB),
      ),
    );
  return {
    id: other.id,
    number: other.number,
    subject: other.subject,
    status: other.status,
    linkedAt: link!.at.toISOString(),
  };
}

/** DELETE /tickets/{id}/links/{otherId}: unlink (404 when they are not linked). */
export async function unlinkTicket(scope: Scope, ticketId: string, otherId: string): Promise<void> {
  assertCan(scope.user, "ticket.internal.view");
  const t = await ticketOf(scope, ticketId);
  const gone = await scope.tx
    .delete(ticketLinks)
    .where(
      and(
        eq(ticketLinks.orgId, scope.user.orgId),
        eq(ticketLinks.ticketA, pair(ticketId, otherId).ticketA),
        eq(ticketLinks.ticketB, pair(ticketId, otherId).ticketB),
      ),
    )
    .returning();
  if (!gone.length) throw notFound("link");
  const other = await ticketOf(scope, otherId);
  for (const [a, b] of [
    [t, other],
    [other, t],
  ] as const) {
    await recordAudit(scope.tx, auditActor(scope), {
      action: "ticket.unlinked",
      entityType: "ticket",
      entityId: a.id,
      data: { ticket: { id: b.id, number: b.number } },
    });
  }
}
