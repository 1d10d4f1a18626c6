import "server-only";
import { randomUUID, timingSafeEqual } from "node:crypto";
import { env } from "../env";
import { health } from "../health/health";
import { readiness } from "../health/readiness";
import { served } from "./openapi";
import { clientIp } from "../ratelimit/client-ip";
import { scrapeMetrics } from "../health/scrape";
import { consume } from "../ratelimit/api-limits";
import { errorResponse } from "../http/error-response";
import { toAppError } from "../core/to-app-error";
import type { ApiRequest } from "../core/api-request";

// The GET handlers of the probes, the metrics scrape and the API document: Next's route files
// (src/app/healthz, readyz, api/health, api/metrics, api/openapi.json) export them, and the
// start script's own API server (src/server/api/node-server.ts) calls the same functions, so
// both paths answer alike (docs/decisions/046-own-api-server-and-cluster.md).

/** Liveness: the process answers. No I/O, so a slow database never gets the process restarted. */
export function healthz(): Response {
  return Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
}

/** Readiness: 503 until the database answers and no migration is pending. */
export async function readyz(): Promise<Response> {
  const r = await readiness();
  return Response.json(
    { status: r.ready ? "ready" : "not_ready", db: r.db, migrations: r.migrations },
    { status: r.ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}

/** Dependencies, one row each (decision 028). */
export async function apiHealth(): Promise<Response> {
  const h = await health();
  return Response.json(h, { status: h.status === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}

/**
 * Prometheus text; with METRICS_TOKEN set, only for `Authorization: Bearer <METRICS_TOKEN>`.
 * RATE_LIMIT_METRICS_PER_MIN per client IP, counted before the token check so the token cannot be
 * guessed at speed either. The cross-org figures are cached for a scrape interval (scrape.ts).
 */
export async function apiMetrics(req: ApiRequest): Promise<Response> {
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
      return Response.json(
        { error: { code: "unauthenticated", message: "metrics need the METRICS_TOKEN bearer token" } },
        { status: 401 },
      );
    }
  }
  const { body, contentType } = await scrapeMetrics();
  return new Response(body, { headers: { "content-type": contentType, "cache-control": "no-store" } });
}

/**
 * The OpenAPI document, generated from the route table. It changes with every release, so caches
 * keep it a minute (max-age=60) and revalidate with its ETag (304 when unchanged).
 */
export function openApiDocument(req: ApiRequest): Response {
  const { json, etag } = served();
  const headers = { "Cache-Control": "public, max-age=60", ETag: etag };
  const match = req.headers.get("if-none-match");
  if (match && match.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*")) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(json, { headers: { ...headers, "Content-Type": "application/json" } });
}
