import "server-only";
import type { Scope } from "../core/scope";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import type { AnyTicketView } from "./schemas";
import { ticketViewer } from "../ticket-model/ticket-view";

/** A ticket the caller may see, in the caller's view (customers get the customer view). */
export async function getTicket(scope: Scope, id: string): Promise<AnyTicketView> {
  return (await getVersionedTicket(scope, id)).ticket;
}

/** getTicket with the ticket's stored version, which every write bumps (the API's ETag, decision 038). */
export async function getVersionedTicket(
  scope: Scope,
  id: string,
): Promise<{ ticket: AnyTicketView; version: number }> {
  const t = await loadVisibleTicket(scope.tx, scope.user, id);
  return { ticket: (await ticketViewer(scope))(t), version: t.version };
}
