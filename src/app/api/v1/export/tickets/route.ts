import { route } from "@/server/http/route";
import { ZExportQuery } from "@/server/export/schemas";
import { startTicketExport } from "@/server/export/start-export";

export const GET = route({ auth: ["admin"], query: ZExportQuery, feature: "export" }, (ctx) => startTicketExport(ctx, ctx.query));
