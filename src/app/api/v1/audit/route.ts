import { route } from "@/server/http/route";
import { listAudit, ZListAudit } from "@/server/audit/list-audit";

export const GET = route({ auth: ["admin"], query: ZListAudit }, (ctx) => listAudit(ctx));
