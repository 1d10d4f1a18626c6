import { readyz } from "@/server/api/endpoints";

// Readiness: 503 until the database answers and no migration is pending (src/server/api/endpoints.ts).
export const dynamic = "force-dynamic";

export const GET = readyz;
