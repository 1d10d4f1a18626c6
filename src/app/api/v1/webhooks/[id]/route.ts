import { route, zUuidParam } from "@/server/http/route";
import { deleteWebhook, updateWebhook, ZUpdateWebhook } from "@/server/webhooks/manage-webhooks";

export const PATCH = route({ auth: ["admin"], params: zUuidParam, body: ZUpdateWebhook }, (ctx, body) => updateWebhook(ctx, ctx.params.id, body));
export const DELETE = route({ auth: ["admin"], params: zUuidParam }, (ctx) => deleteWebhook(ctx, ctx.params.id));
