import { route } from "@/server/http/route";
import { openLiveStream, ZLiveQuery } from "@/server/tickets/live-stream";

export const dynamic = "force-dynamic";

/** Server-Sent Events for open pages (decision 052): outside /api/v1, not in the route table. */
export const GET = route({ auth: "any", query: ZLiveQuery }, (ctx) => openLiveStream(ctx, ctx.query, ctx.req.signal));
