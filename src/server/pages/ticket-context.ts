import "server-only";
import type { Scope } from "../core/scope";
import { listTicketLinks, type TicketLinks } from "../tickets/ticket-links";

// What the ticket page's side panel shows staff beyond the ticket itself (issue 14 items 4, 6, 7;
// decision 051): related and merged tickets. One loader, so the page adds one call.

export type TicketContext = { links: TicketLinks };

export async function ticketContext(scope: Scope, ticketId: string): Promise<TicketContext> {
  return { links: await listTicketLinks(scope, ticketId) };
}
