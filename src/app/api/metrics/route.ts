import { apiMetrics } from "@/server/http/endpoints";

// Prometheus text (src/server/http/endpoints.ts; npm start's own server calls the same).
export const dynamic = "force-dynamic";

export const GET = apiMetrics;
