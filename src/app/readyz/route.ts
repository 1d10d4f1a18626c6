import { readiness } from "@/server/health/readiness";

// Readiness: 503 until the database answers and no migration is pending.
export const dynamic = "force-dynamic";

export async function GET(): Promise<Response> {
  const r = await readiness();
  return Response.json(
    { status: r.ready ? "ready" : "not_ready", db: r.db, migrations: r.migrations },
    { status: r.ready ? 200 : 503, headers: { "Cache-Control": "no-store" } },
  );
}
