import "server-only";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { recordAudit } from "../audit/record-audit";
import { assertCan } from "../authz/permissions";
import { AppError, notFound } from "../core/errors";
import type { Scope } from "../core/scope";
import { ticketCcs } from "../db/schema/email";
import { tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import type { Tx } from "../db/tenant";
import { normalizeAddress, unsafeFindSupportAddress } from "./addresses";
import { clearBouncing } from "./bouncing";

// A ticket's CCs: addresses Cc'd on its inbound mail, or added by staff (issue 12 items 5, 8). They
// receive public replies and may reply. Staff only: a customer never sees other participants'
// addresses. A CC is named by its address (the row's key), so `ccId` is the address itself.

/** The most CCs a ticket keeps (inbound mail copies at most as many). */
export const MAX_TICKET_CCS = 50;

/**
 * A ticket's CCs (addresses Cc'd on its inbound mail), oldest first, for the staff view of the
 * ticket page. The caller has checked the reader may see the ticket's staff view.
 */
export async function listTicketCcs(ctx: { tx: Tx; org: { id: string } }, ticketId: string): Promise<string[]> {
  const rows = await ctx.tx
    .select({ email: ticketCcs.email })
    .from(ticketCcs)
    .where(and(eq(ticketCcs.orgId, ctx.org.id), eq(ticketCcs.ticketId, ticketId)))
    .orderBy(asc(ticketCcs.createdAt), asc(ticketCcs.email));
  return rows.map((r) => r.email);
}

export const ZTicketCc = z.object({
  id: z.string(),
  email: z.string(),
  bouncing: z.string().nullable(),
  createdAt: z.iso.datetime(),
});
export type TicketCc = z.infer<typeof ZTicketCc>;
export const ZAddTicketCc = z.strictObject({ email: z.string().trim().min(3).max(320) });

const invalidEmail = (message: string) =>
  new AppError("validation_failed", `email: ${message}`, { issues: [{ in: "body", path: "email", message }] });
const actor = (scope: Scope) => ({ orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId });

/** The ticket, locked for the change; 404 when it is not the org's. */
async function ticketOf(scope: Scope, ticketId: string, lock: boolean): Promise<{ id: string; requesterId: string }> {
  const q = scope.tx
    .select({ id: tickets.id, requesterId: tickets.requesterId })
    .from(tickets)
    .where(and(eq(tickets.orgId, scope.user.orgId), eq(tickets.id, ticketId)));
  const [t] = await (lock ? q.for("update") : q);
  if (!t) throw notFound("ticket");
  return t;
}

async function rows(scope: Scope, ticketId: string): Promise<TicketCc[]> {
  const r = await scope.tx
    .select({
      email: ticketCcs.email,
      bouncing: ticketCcs.bouncingReason,
      at: ticketCcs.bouncingAt,
      createdAt: ticketCcs.createdAt,
    })
    .from(ticketCcs)
    .where(and(eq(ticketCcs.orgId, scope.user.orgId), eq(ticketCcs.ticketId, ticketId)))
    .orderBy(asc(ticketCcs.createdAt), asc(ticketCcs.email));
  return r.map((x) => ({
    id: x.email,
    email: x.email,
    bouncing: x.at ? (x.bouncing ?? "bouncing") : null,
    createdAt: x.createdAt.toISOString(),
  }));
}

export async function listCcs(scope: Scope, input: { ticketId: string }): Promise<{ data: TicketCc[] }> {
  assertCan(scope.user, "ticket.internal.view");
  await ticketOf(scope, input.ticketId, false);
  return { data: await rows(scope, input.ticketId) };
}

/**
 * Copies an address on the ticket. An address the org does not know becomes a customer without a
 * password, as it would had it written in (decision 029). Support addresses (of any org) are
 * refused: copying one would loop mail between helpdesks.
 */
export async function addCc(scope: Scope, input: { ticketId: string; email: string }): Promise<TicketCc> {
  assertCan(scope.user, "ticket.internal.view");
  const email = normalizeAddress(input.email);
  if (!email || email !== input.email.trim().toLowerCase()) throw invalidEmail("must be a plain email address");
  const t = await ticketOf(scope, input.ticketId, true);
  if (await unsafeFindSupportAddress(email)) throw invalidEmail("is a support address; copying it would loop mail");
  const [person] = await scope.tx
    .select({ id: users.id, role: users.role })
    .from(users)
    .where(and(eq(users.orgId, scope.user.orgId), sql`lower(${users.email}) = ${email}`))
    .limit(1);
  if (person?.id === t.requesterId) throw invalidEmail("is the ticket's requester");
  const existing = await rows(scope, t.id);
  const same = existing.find((c) => c.email === email);
  if (same) return same;
  if (existing.length >= MAX_TICKET_CCS) throw invalidEmail(`a ticket has at most ${MAX_TICKET_CCS} CCs`);
  if (!person) {
    const [u] = await scope.tx
      .insert(users)
      .values({
        orgId: scope.user.orgId,
        email,
        name: email.split("@")[0]!.slice(0, 200),
        role: "customer",
        passwordHash: null,
      })
      .onConflictDoNothing()
      .returning({ id: users.id });
    if (u)
      await recordAudit(scope.tx, actor(scope), {
        action: "user.created",
        entityType: "user",
        entityId: u.id,
        data: { email, role: "customer", via: "cc" },
      });
  }
  await scope.tx.insert(ticketCcs).values({ orgId: scope.user.orgId, ticketId: t.id, email }).onConflictDoNothing();
  await recordAudit(scope.tx, actor(scope), {
    action: "ticket.cc_added",
    entityType: "ticket",
    entityId: t.id,
    data: { email },
  });
  return (await rows(scope, t.id)).find((c) => c.email === email)!;
}

export async function removeCc(scope: Scope, input: { ticketId: string; ccId: string }): Promise<void> {
  assertCan(scope.user, "ticket.internal.view");
  const t = await ticketOf(scope, input.ticketId, true);
  const email = normalizeAddress(input.ccId);
  const gone = email
    ? await scope.tx
        .delete(ticketCcs)
        .where(and(eq(ticketCcs.orgId, scope.user.orgId), eq(ticketCcs.ticketId, t.id), eq(ticketCcs.email, email)))
        .returning({ email: ticketCcs.email })
    : [];
  if (!gone[0]) throw notFound("CC");
  await recordAudit(scope.tx, actor(scope), {
    action: "ticket.cc_removed",
    entityType: "ticket",
    entityId: t.id,
    data: { email: gone[0].email },
  });
}

/**
 * Staff clear a bouncing mark by hand (the address was fixed, the mailbox emptied): replies and
 * notifications go to it again. Clears the user's mark and the address's CC rows in the org.
 */
export async function clearUserBounce(scope: Scope, input: { userId: string }): Promise<void> {
  assertCan(scope.user, "ticket.internal.view");
  const [u] = await scope.tx
    .select({ id: users.id, email: users.email, at: users.emailBouncingAt })
    .from(users)
    .where(and(eq(users.orgId, scope.user.orgId), eq(users.id, input.userId)));
  if (!u) throw notFound("user");
  await clearBouncing(scope.tx, scope.user.orgId, u.email);
  if (u.at)
    await recordAudit(scope.tx, actor(scope), {
      action: "user.email_bouncing_cleared",
      entityType: "user",
      entityId: u.id,
      data: {},
    });
}
