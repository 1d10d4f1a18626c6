import { route, zUuidParam } from "@/server/http/route";
import { resetPassword } from "@/server/users/reset-password";

export const POST = route({ auth: ["admin"], params: zUuidParam }, (ctx) => resetPassword(ctx, ctx.params.id));
