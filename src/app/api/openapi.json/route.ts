import { served } from "@/server/api/openapi";

// The OpenAPI document, generated from the route table. It changes with every release, so caches
// keep it a minute (max-age=60) and revalidate with its ETag (304 when unchanged).

export const dynamic = "force-dynamic";

export function GET(req: Request): Response {
  const { json, etag } = served();
  const headers = { "Cache-Control": "public, max-age=60", ETag: etag };
  const match = req.headers.get("if-none-match");
  if (match && match.split(",").some((t) => t.trim().replace(/^W\//, "") === etag || t.trim() === "*")) {
    return new Response(null, { status: 304, headers });
  }
  return new Response(json, { headers: { ...headers, "Content-Type": "application/json" } });
}
