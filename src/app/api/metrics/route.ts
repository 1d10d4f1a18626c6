import { apiMetrics } from "@/server/api/endpoints";

// Prometheus text (src/server/api/endpoints.ts; npm start's own server calls the same).
export const dynamic = "force-dynamic";

export const GET = apiMetrics;
