import { route } from "@/server/http/route";
import { listFlags, putFlag, ZPutFlag } from "@/server/flags/flags";

export const GET = route({ auth: ["admin"] }, (ctx) => listFlags(ctx));
export const PUT = route({ auth: ["admin"], body: ZPutFlag }, (ctx, body) => putFlag(ctx, body));
