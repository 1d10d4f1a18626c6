import { downloadAttachment } from "@/server/attachments/download-attachment";
import { route, zUuidParam } from "@/server/http/route";

export const GET = route({ auth: "any", params: zUuidParam, feature: "attachments" }, (ctx) => downloadAttachment(ctx, ctx.params.id));
