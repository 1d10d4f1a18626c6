import { publicRoute } from "@/server/http/route";
import { grantToken, ZGrantToken } from "@/server/auth/grant-token";

export const POST = publicRoute({ body: ZGrantToken, status: 201 }, (ctx, body) => grantToken(ctx, body));
