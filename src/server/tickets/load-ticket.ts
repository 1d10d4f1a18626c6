import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Principal } from "../core/principal";
import type { Tx } from "../db/tenant";
import { tickets } from "../db/schema/tickets";
import { notFound } from "../core/errors";
import { visibleTo } from "../authz/visibility";
import { ticketColumns, type TicketRow } from "./ticket-view";

/**
 * Loads one ticket the caller may see, or 404 — the same answer for "does not exist", "another
 * org's" and "a customer's who is not you", so nothing leaks. forUpdate locks the row so
 * concurrent updates apply in order (no lost update).
 */
export async function loadVisibleTicket(
  tx: Tx,
  user: Pick<Principal, "userId" | "role" | "orgId">,
  id: string,
  opts: { forUpdate?: boolean } = {},
): Promise<TicketRow> {
  const q = tx.select(ticketColumns).from(tickets).where(and(eq(tickets.orgId, user.orgId), eq(tickets.id, id), visibleTo(user))).limit(1);
  const [t] = opts.forUpdate ? await q.for("update") : await q;
  if (!t) throw notFound("ticket");
  return t;
}

/**
 * A ticket by id for a CC of it replying by email (they are not its requester, so loadVisibleTicket
 * would hide it): scoped by org only, locked for the update that follows. Callers have already
 * checked that the sender is a CC of this ticket.
 */
export async function loadParticipantTicket(tx: Tx, orgId: string, id: string): Promise<TicketRow> {
  const [t] = await tx.select(ticketColumns).from(tickets).where(and(eq(tickets.orgId, orgId), eq(tickets.id, id))).limit(1).for("update");
  if (!t) throw notFound("ticket");
  return t;
}

/** Next per-org ticket number: the org row lock makes numbers unique and gap-free. */
export async function nextTicketNumber(tx: Tx, orgId: string): Promise<number> {
  const r = await tx.execute<{ n: number }>(sql`update orgs set ticket_seq = ticket_seq + 1 where id = ${orgId} returning ticket_seq as n`);
  return r.rows[0]!.n;
}
