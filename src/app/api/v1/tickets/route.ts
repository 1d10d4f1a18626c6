import { route } from "@/server/http/route";
import { createTicket } from "@/server/tickets/create-ticket";
import { LIST_TICKETS_ADMISSION, listTickets } from "@/server/tickets/list-tickets";
import { ZCreateTicket, ZListTickets } from "@/server/tickets/schemas";

export const GET = route({ auth: "any", query: ZListTickets, ...LIST_TICKETS_ADMISSION }, (ctx) => listTickets(ctx, ctx.query));
export const POST = route({ auth: "any", body: ZCreateTicket, status: 201 }, (ctx, body) => createTicket(ctx, body));
