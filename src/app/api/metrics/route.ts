import { randomUUID, timingSafeEqual } from "node:crypto";
import { env } from "@/server/env";
import { clientIp } from "@/server/ratelimit/client-ip";
import { errorResponse, toAppError } from "@/server/http/error-response";
import { scrapeMetrics } from "@/server/observability/scrape";
import { consume } from "@/server/ratelimit/api-limits";

export const dynamic = "force-dynamic";

/**
 * Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`.
 * RATE_LIMIT_METRICS_PER_MIN per client IP, counted before the token check so the token cannot be
 * guessed at speed either. The cross-org figures are cached for a scrape interval (scrape.ts).
 */
export async function GET(req: Request): Promise<Response> {
  try {
    await consume("metrics", clientIp(req.headers), { requestId: req.headers.get("x-request-id") ?? randomUUID() });
  } catch (err) {
    return errorResponse(toAppError(err));
  }
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
