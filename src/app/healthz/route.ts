import { healthz } from "@/server/http/endpoints";

// Liveness: the process answers (src/server/http/endpoints.ts; npm start's own server calls the same).
export const dynamic = "force-dynamic";

export const GET = healthz;
