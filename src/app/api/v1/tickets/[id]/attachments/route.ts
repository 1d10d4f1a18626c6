import { addAttachment, authorizeAttachment } from "@/server/attachments/add-attachment";
import { listAttachments } from "@/server/attachments/list-attachments";
import { route, streamingRoute, zUuidParam } from "@/server/http/route";
import { ZListPage } from "@/server/tickets/schemas";

export const GET = route({ auth: "any", params: zUuidParam, query: ZListPage, feature: "attachments" }, (ctx) => listAttachments(ctx, ctx.params.id, ctx.query));
// The handler streams the multipart body itself (src/server/attachments/receive-upload.ts), with
// no transaction open: authorize in one short transaction, record the file in another.
export const POST = streamingRoute({ auth: "any", params: zUuidParam, feature: "attachments", status: 201 }, (ctx) => authorizeAttachment(ctx, ctx.params.id), (ctx, authorized) => addAttachment(ctx, ctx.req, authorized));
