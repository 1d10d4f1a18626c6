import { route } from "@/server/http/route";
import { createTicket } from "@/server/tickets/create-ticket";
import { listTickets } from "@/server/tickets/list-tickets";
import { ZCreateTicket, ZListTickets } from "@/server/tickets/schemas";

const searching = (q: { q?: string }) => q.q !== undefined;

export const GET = route(
  { auth: "any", query: ZListTickets, feature: { name: "search", when: searching }, rateLimit: { name: "search", when: searching } },
  (ctx) => listTickets(ctx),
);
export const POST = route({ auth: "any", body: ZCreateTicket, status: 201 }, (ctx, body) => createTicket(ctx, body));
