import { route, zUuidParam } from "@/server/http/route";
import { getUser } from "@/server/users/get-user";
import { updateUser, ZUpdateUser } from "@/server/users/update-user";

export const GET = route({ auth: ["admin"], params: zUuidParam }, (ctx) => getUser(ctx, ctx.params.id));
export const PATCH = route({ auth: ["admin"], params: zUuidParam, body: ZUpdateUser }, (ctx, body) => updateUser(ctx, ctx.params.id, body));
