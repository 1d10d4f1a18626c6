import { route, zUuidParam } from "@/server/http/route";
import { getTicket } from "@/server/tickets/get-ticket";
import { ZUpdateTicket } from "@/server/tickets/schemas";
import { updateTicket } from "@/server/tickets/update-ticket";

export const GET = route({ auth: "any", params: zUuidParam }, (ctx) => getTicket(ctx, ctx.params.id));
export const PATCH = route({ auth: "any", params: zUuidParam, body: ZUpdateTicket }, (ctx, body) => updateTicket(ctx, ctx.params.id, body));
