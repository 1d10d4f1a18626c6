import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { ticketCcs } from "../db/schema/email";
import type { Tx } from "../db/tenant";

/**
 * A ticket's CCs (addresses Cc'd on its inbound mail), oldest first, for the staff view of the
 * ticket page. Read-only: adding and removing waits for an endpoint (issue 12 item 8).
 * The caller has checked the reader may see the ticket's staff view.
 */
export async function listTicketCcs(ctx: { tx: Tx; org: { id: string } }, ticketId: string): Promise<string[]> {
  const rows = await ctx.tx
    .select({ email: ticketCcs.email })
    .from(ticketCcs)
    .where(and(eq(ticketCcs.orgId, ctx.org.id), eq(ticketCcs.ticketId, ticketId)))
    .orderBy(asc(ticketCcs.createdAt), asc(ticketCcs.email));
  return rows.map((r) => r.email);
}
