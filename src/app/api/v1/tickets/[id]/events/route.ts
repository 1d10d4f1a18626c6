import { route, zUuidParam } from "@/server/http/route";
import { ticketEvents } from "@/server/tickets/ticket-events";

export const GET = route({ auth: "any", params: zUuidParam }, (ctx) => ticketEvents(ctx, ctx.params.id));
