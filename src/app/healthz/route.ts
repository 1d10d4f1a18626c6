import { healthz } from "@/server/api/endpoints";

// Liveness: the process answers (src/server/api/endpoints.ts; npm start's own server calls the same).
export const dynamic = "force-dynamic";

export const GET = healthz;
