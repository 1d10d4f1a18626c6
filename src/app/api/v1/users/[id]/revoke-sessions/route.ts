import { route, zUuidParam } from "@/server/http/route";
import { revokeSessions } from "@/server/users/revoke-sessions";

export const POST = route({ auth: ["admin"], params: zUuidParam }, (ctx) => revokeSessions(ctx, ctx.params.id));
