import { route } from "@/server/http/route";
import { listUsers, ZListUsers } from "@/server/users/list-users";

export const GET = route({ auth: "any", query: ZListUsers }, (ctx) => listUsers(ctx));
