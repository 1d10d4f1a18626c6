import { publicRoute } from "@/server/http/route";
import { completeSetup, ZCompleteSetup } from "@/server/auth/setup-link";

export const POST = publicRoute({ body: ZCompleteSetup }, (ctx, body) => completeSetup(body, ctx.requestId));
