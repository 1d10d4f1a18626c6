import { route } from "@/server/http/route";
import { getSlaSettings, updateSlaSettings, ZSlaSettings } from "@/server/orgs/customer-sla";

export const GET = route({ auth: ["admin"] }, (ctx) => getSlaSettings(ctx));
export const PUT = route({ auth: ["admin"], body: ZSlaSettings }, (ctx, body) => updateSlaSettings(ctx, body));
