import { route, zUuidParam } from "@/server/http/route";
import { revokeToken } from "@/server/auth/manage-tokens";

export const DELETE = route({ auth: "any", params: zUuidParam }, (ctx) => revokeToken(ctx, ctx.params.id));
