import { route, zUuidParam } from "@/server/http/route";
import { revokeOrgToken } from "@/server/auth/manage-tokens";

export const DELETE = route({ auth: ["admin"], params: zUuidParam }, (ctx) => revokeOrgToken(ctx, ctx.params.id));
