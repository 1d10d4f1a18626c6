import { route } from "@/server/http/route";
import { createWebhook, listWebhooks, ZCreateWebhook } from "@/server/webhooks/manage-webhooks";

export const GET = route({ auth: ["admin"] }, (ctx) => listWebhooks(ctx));
// Switched off, existing webhooks can still be read, changed, deactivated and deleted; no new one.
export const POST = route({ auth: ["admin"], body: ZCreateWebhook, status: 201, feature: "webhooks" }, (ctx, body) => createWebhook(ctx, body));
