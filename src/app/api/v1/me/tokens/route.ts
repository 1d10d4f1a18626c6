import { route } from "@/server/http/route";
import { createToken, listTokens, ZCreateToken } from "@/server/auth/manage-tokens";

export const GET = route({ auth: "any" }, (ctx) => listTokens(ctx));
export const POST = route({ auth: "any", body: ZCreateToken, status: 201 }, (ctx, body) => createToken(ctx, body));
