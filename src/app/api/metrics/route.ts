import { timingSafeEqual } from "node:crypto";
import { env } from "@/server/env";
import { scrapeMetrics } from "@/server/observability/scrape";

export const dynamic = "force-dynamic";

/** Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`. */
export async function GET(req: Request): Promise<Response> {
  const token = env().METRICS_TOKEN;
  if (token) {
    const given = Buffer.from(/^Bearer\s+(.+)$/i.exec(req.headers.get("authorization") ?? "")?.[1] ?? "");
    const want = Buffer.from(token);
    if (given.length !== want.length || !timingSafeEqual(given, want)) {
      return Response.json({ error: { code: "unauthenticated", message: "metrics need the METRICS_TOKEN bearer token" } }, { status: 401 });
    }
  }
  const { body, contentType } = await scrapeMetrics();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}
