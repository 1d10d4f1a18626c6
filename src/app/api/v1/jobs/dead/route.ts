import { route } from "@/server/http/route";
import { listOrgDeadLetters, ZListDeadLetters } from "@/server/jobs/manage-dead-letters";

export const GET = route({ auth: ["admin"], query: ZListDeadLetters }, (ctx) => listOrgDeadLetters(ctx, ctx.query));
