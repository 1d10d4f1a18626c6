import { route } from "@/server/http/route";
import { listUsers, ZListUsers } from "@/server/users/list-users";
import { createUser, ZCreateUser } from "@/server/users/create-user";

export const GET = route({ auth: "any", query: ZListUsers }, (ctx) => listUsers(ctx, ctx.query));
export const POST = route({ auth: ["admin"], body: ZCreateUser, status: 201 }, (ctx, body) => createUser(ctx, body));
