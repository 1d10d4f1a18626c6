import { addAttachment } from "@/server/attachments/add-attachment";
import { listAttachments } from "@/server/attachments/list-attachments";
import { route, zUuidParam } from "@/server/http/route";
import { ZListPage } from "@/server/tickets/schemas";

export const GET = route({ auth: "any", params: zUuidParam, query: ZListPage, feature: "attachments" }, (ctx) => listAttachments(ctx));
// No `body` spec: the handler streams the multipart body itself (src/server/attachments/receive-upload.ts).
export const POST = route({ auth: "any", params: zUuidParam, feature: "attachments", status: 201 }, (ctx) => addAttachment(ctx));
