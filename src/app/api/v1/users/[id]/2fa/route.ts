import { route, zUuidParam } from "@/server/http/route";
import { resetTwoFactor } from "@/server/users/reset-two-factor";

export const DELETE = route({ auth: ["admin"], params: zUuidParam }, (ctx) => resetTwoFactor(ctx, ctx.params.id));
