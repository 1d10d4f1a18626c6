import { health } from "@/server/health/health";

export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const h = await health();
  return Response.json(h, { status: h.status === "ok" ? 200 : 503, headers: { "Cache-Control": "no-store" } });
}
