import { route } from "@/server/http/route";
import { createWebhook, listWebhooks, ZCreateWebhook } from "@/server/webhooks/manage-webhooks";

export const GET = route({ auth: ["admin"] }, (ctx) => listWebhooks(ctx));
export const POST = route({ auth: ["admin"], body: ZCreateWebhook, status: 201 }, (ctx, body) => createWebhook(ctx, body));
