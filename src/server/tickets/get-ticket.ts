import "server-only";
import type { Ctx } from "../http/route";
import { loadVisibleTicket } from "./load-ticket";
import type { AnyTicketView } from "./schemas";
import { ticketViewer } from "./ticket-view";

/** A ticket the caller may see, in the caller's view (customers get the customer view). */
export async function getTicket(ctx: Ctx, id: string): Promise<AnyTicketView> {
  const t = await loadVisibleTicket(ctx.tx, ctx.user, id);
  return (await ticketViewer(ctx))(t);
}
