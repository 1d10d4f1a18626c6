import { route } from "@/server/http/route";
import { listNotifications, ZListNotifications } from "@/server/notifications/list-notifications";

export const GET = route({ auth: "any", query: ZListNotifications }, (ctx) => listNotifications(ctx, ctx.query));
