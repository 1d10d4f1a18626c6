import "server-only";
import { and, eq } from "drizzle-orm";
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
  const q = tx
    .select(ticketColumns)
    .from(tickets)
    .where(and(eq(tickets.orgId, user.orgId), eq(tickets.id, id), visibleTo(user)))
    .limit(1);
  const [t] = opts.forUpdate ? await q.for("update") : await q;
  if (!t) throw notFound("ticket");
  return t;
}
