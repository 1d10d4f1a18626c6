import { route } from "@/server/http/route";
import { createPolicy, listPolicies } from "@/server/sla-policies/manage-policies";
import { ZCreatePolicy } from "@/server/sla-policies/schemas";

export const GET = route({ auth: ["admin"] }, (ctx) => listPolicies(ctx));
export const POST = route({ auth: ["admin"], body: ZCreatePolicy, status: 201 }, (ctx, body) => createPolicy(ctx, body));
