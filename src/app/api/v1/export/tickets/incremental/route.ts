import { route } from "@/server/http/route";
import { incrementalExport } from "@/server/export/incremental-export";
import { ZIncrementalQuery } from "@/server/export/schemas";

export const GET = route({ auth: ["admin"], query: ZIncrementalQuery, feature: "export" }, (ctx) => incrementalExport(ctx, ctx.query));
