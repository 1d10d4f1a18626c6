import { route, zUuidParam } from "@/server/http/route";
import { listDeliveries, ZListDeliveries } from "@/server/webhooks/manage-webhooks";

export const GET = route({ auth: ["admin"], params: zUuidParam, query: ZListDeliveries }, (ctx) => listDeliveries(ctx, ctx.params.id));
