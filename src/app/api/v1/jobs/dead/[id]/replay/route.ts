import { route, zUuidParam } from "@/server/http/route";
import { replayOrgDeadLetter } from "@/server/jobs/manage-dead-letters";

export const POST = route({ auth: ["admin"], params: zUuidParam }, (ctx) => replayOrgDeadLetter(ctx, ctx.params.id));
