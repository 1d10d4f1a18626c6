import { readyz } from "@/server/http/endpoints";

// Readiness: 503 until the database answers and no migration is pending (src/server/http/endpoints.ts).
export const dynamic = "force-dynamic";

export const GET = readyz;
