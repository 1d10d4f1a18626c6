import { route } from "@/server/http/route";
import { markRead, ZMarkRead } from "@/server/notifications/list-notifications";

export const POST = route({ auth: "any", body: ZMarkRead }, (ctx, body) => markRead(ctx, body));
