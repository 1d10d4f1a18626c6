import "server-only";
import type { Scope } from "../core/scope";
import { loadVisibleTicket } from "./load-ticket";
import type { AnyTicketView } from "./schemas";
import { ticketViewer } from "./ticket-view";

/** A ticket the caller may see, in the caller's view (customers get the customer view). */
export async function getTicket(scope: Scope, id: string): Promise<AnyTicketView> {
  const t = await loadVisibleTicket(scope.tx, scope.user, id);
  return (await ticketViewer(scope))(t);
}
