import "server-only";
import { and, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { tickets } from "../db/schema/tickets";
import { csatRatings } from "../db/schema/customers";
import { withTenant, type Tx } from "../db/tenant";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { ratingChanges, signRatingLink, verifyRatingLink } from "./rating-link";
import { isFinished } from "../lifecycle/ticket-lifecycle";

// Satisfaction ratings (issue 14 item 7, SPEC §13, decision 051): the requester of a solved (or
// closed) ticket rates it good or bad with an optional comment, by the signed link of the solve
// email (no sign-in) or in the portal (signed in). One rating per ticket, changeable; each change
// is audited (ticket.csat_rated) and keeps the assignee and group at that time for the dashboard.

export const CSAT_RATINGS = ["good", "bad"] as const;
export const MAX_CSAT_COMMENT = 2_000;

export const ZRate = z.strictObject({
  rating: z.enum(CSAT_RATINGS),
  comment: z.string().trim().max(MAX_CSAT_COMMENT).optional(),
});
export type Rate = z.infer<typeof ZRate>;

export const ZSatisfaction = z.object({
  ticketId: z.uuid(),
  ticketNumber: z.number().int(),
  subject: z.string(),
  rating: z.enum(CSAT_RATINGS).nullable(),
  comment: z.string(),
  ratedAt: z.iso.datetime().nullable(),
  /** Whether the ticket can be rated now (solved or closed). */
  open: z.boolean(),
});
export type Satisfaction = z.infer<typeof ZSatisfaction>;
/** A rating by link: the state, and the token for the next change (each link changes the rating once). */
export const ZLinkSatisfaction = ZSatisfaction.extend({
  /** The link for the next change; null when this link has been used (a newer one exists). */
  nextToken: z.string().nullable(),
});
export type LinkSatisfaction = z.infer<typeof ZLinkSatisfaction>;
export const ZRatingToken = z.object({ token: z.string().min(1).max(400) });

type TicketBits = {
  id: string;
  number: number;
  subject: string;
  status: string;
  requesterId: string;
  assigneeId: string | null;
  groupId: string | null;
};

async function ticketBits(tx: Tx, orgId: string, ticketId: string, lock: boolean): Promise<TicketBits | undefined> {
  const q = tx
    .select({
      id: tickets.id,
      number: tickets.number,
      subject: tickets.subject,
      status: tickets.status,
      requesterId: tickets.requesterId,
      assigneeId: tickets.assigneeId,
      groupId: tickets.groupId,
    })
    .from(tickets)
    .where(and(eq(tickets.orgId, orgId), eq(tickets.id, ticketId)))
    .limit(1);
  return (lock ? await q.for("update") : await q)[0];
}

async function state(tx: Tx, orgId: string, t: TicketBits): Promise<Satisfaction> {
  const [r] = await tx
    .select()
    .from(csatRatings)
    .where(and(eq(csatRatings.orgId, orgId), eq(csatRatings.ticketId, t.id)))
    .limit(1);
  return {
    ticketId: t.id,
    ticketNumber: t.number,
    subject: t.subject,
    rating: r?.rating ?? null,
    comment: r?.comment ?? "",
    ratedAt: r ? r.updatedAt.toISOString() : null,
    open: isFinished(t.status),
  };
}

/** Stores the rating (the ticket row is locked by the caller), audited as by the requester. */
async function store(
  tx: Tx,
  orgId: string,
  t: TicketBits,
  input: Rate,
  requestId: string | null,
  via: "link" | "portal",
): Promise<void> {
  if (!isFinished(t.status)) throw new AppError("conflict", "only a solved ticket can be rated");
  const [before] = await tx
    .select()
    .from(csatRatings)
    .where(and(eq(csatRatings.orgId, orgId), eq(csatRatings.ticketId, t.id)))
    .limit(1)
    .for("update");
  const comment = input.comment ?? "";
  const now = new Date();
  await tx
    .insert(csatRatings)
    .values({
      orgId,
      ticketId: t.id,
      rating: input.rating,
      comment,
      requesterId: t.requesterId,
      assigneeId: t.assigneeId,
      groupId: t.groupId,
      changes: 1,
      createdAt: now,
      updatedAt: now,
    })
    .onConflictDoUpdate({
      target: [csatRatings.orgId, csatRatings.ticketId],
      set: {
        rating: input.rating,
        comment,
        assigneeId: t.assigneeId,
        groupId: t.groupId,
        changes: sql`${csatRatings.changes} + 1`,
        updatedAt: now,
      },
    });
  await recordAudit(
    tx,
    { orgId, actorId: t.requesterId, requestId },
    {
      action: "ticket.csat_rated",
      entityType: "ticket",
      entityId: t.id,
      data: {
        rating: input.rating,
        comment,
        via,
        ...(before ? { from: { rating: before.rating, comment: before.comment } } : {}),
      },
    },
  );
}

const invalidLink = () => new AppError("not_found", "this rating link is not valid");

/** GET /satisfaction/{token} (no sign-in): the ticket and its rating as the link's holder may see them, and whether the link is still unused. */
export async function ratingByLink(token: string): Promise<LinkSatisfaction> {
  const link = verifyRatingLink(token);
  if (!link) throw invalidLink();
  return withTenant(link.orgId, async (tx) => {
    const t = await ticketBits(tx, link.orgId, link.ticketId, false);
    if (!t) throw invalidLink();
    // Only an unused link leads on: reading a used one must not mint a fresh link.
    const current = (await ratingChanges(tx, link.orgId, t.id)) === link.n;
    return { ...(await state(tx, link.orgId, t)), nextToken: current ? token : null };
  });
}

/**
 * POST /satisfaction/{token} (no sign-in): rate by the link. The link must be of the current count
 * of changes (409 once used: the answer of its use carried the next link); the ticket solved or
 * closed (409). A link altered in any way, or of another deployment, is a 404.
 */
export async function rateByLink(token: string, input: Rate, requestId: string): Promise<LinkSatisfaction> {
  const link = verifyRatingLink(token);
  if (!link) throw invalidLink();
  return withTenant(link.orgId, async (tx) => {
    const t = await ticketBits(tx, link.orgId, link.ticketId, true);
    if (!t) throw invalidLink();
    const n = await ratingChanges(tx, link.orgId, t.id);
    if (n !== link.n)
      throw new AppError(
        "conflict",
        "this rating link has been used; open the latest rating page or your request in the portal to change the rating",
      );
    await store(tx, link.orgId, t, input, requestId, "link");
    return { ...(await state(tx, link.orgId, t)), nextToken: signRatingLink({ ...link, n: n + 1 }) };
  });
}

/** GET /tickets/{id}/satisfaction: the rating, for the requester and staff. */
export async function ticketSatisfaction(scope: Scope, ticketId: string): Promise<Satisfaction> {
  const t = await loadVisibleTicket(scope.tx, scope.user, ticketId);
  return state(scope.tx, scope.user.orgId, t);
}

/** PUT /tickets/{id}/satisfaction: the requester rates their own solved ticket in the portal (staff may not rate). */
export async function rateTicket(scope: Scope, ticketId: string, input: Rate): Promise<Satisfaction> {
  const t = await loadVisibleTicket(scope.tx, scope.user, ticketId, { forUpdate: true });
  if (t.requesterId !== scope.user.userId) throw new AppError("forbidden", "only the ticket's requester rates it");
  await store(scope.tx, scope.user.orgId, t, input, scope.requestId, "portal");
  return state(scope.tx, scope.user.orgId, t);
}
