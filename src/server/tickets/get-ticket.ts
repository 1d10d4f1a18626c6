import "server-only";
import type { Ctx } from "../http/route";
import { loadVisibleTicket } from "./load-ticket";
import type { TicketView } from "./schemas";
import { toTicketView } from "./ticket-view";

export async function getTicket(ctx: Ctx, id: string): Promise<TicketView> {
  return toTicketView(await loadVisibleTicket(ctx.tx, ctx.user, id));
}
