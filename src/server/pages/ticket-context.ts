import "server-only";
import type { Scope } from "../core/scope";
import { customerContext, type CustomerContext } from "../customers/customer-orgs";
import { listTicketLinks, type TicketLinks } from "../tickets/ticket-links";
import { lookupUsers } from "../users/lookup-users";

// What the ticket page's side panel shows staff beyond the ticket itself (issue 14 items 4, 6, 7;
// decision 051): related and merged tickets, and the requester's context. One loader, so the
// page adds one call.

export type TicketContext = { links: TicketLinks; customer: CustomerContext; authorName: Record<string, string> };

export async function ticketContext(scope: Scope, ticket: { id: string; requesterId: string }): Promise<TicketContext> {
  const links = await listTicketLinks(scope, ticket.id);
  const customer = await customerContext(scope, ticket.requesterId, { ticketId: ticket.id });
  const authors = [...new Set(customer.notes.map((n) => n.authorId).filter((x): x is string => Boolean(x)))];
  const people = await lookupUsers(scope, authors);
  return { links, customer, authorName: Object.fromEntries([...people].map(([id, p]) => [id, p.name])) };
}
