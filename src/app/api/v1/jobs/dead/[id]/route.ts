import { route, zUuidParam } from "@/server/http/route";
import { dropOrgDeadLetter } from "@/server/jobs/manage-dead-letters";

export const DELETE = route({ auth: ["admin"], params: zUuidParam }, (ctx) => dropOrgDeadLetter(ctx, ctx.params.id));
