import { route } from "@/server/http/route";
import { verifyChain } from "@/server/audit/verify-chain";

export const GET = route({ auth: ["admin"] }, (ctx) => verifyChain(ctx.tx, ctx.org.id));
