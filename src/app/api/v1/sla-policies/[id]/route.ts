import { route, zUuidParam } from "@/server/http/route";
import { deletePolicy, updatePolicy } from "@/server/sla-policies/manage-policies";
import { ZUpdatePolicy } from "@/server/sla-policies/schemas";

export const PATCH = route({ auth: ["admin"], params: zUuidParam, body: ZUpdatePolicy }, (ctx, body) => updatePolicy(ctx, ctx.params.id, body));
export const DELETE = route({ auth: ["admin"], params: zUuidParam }, (ctx) => deletePolicy(ctx, ctx.params.id));
