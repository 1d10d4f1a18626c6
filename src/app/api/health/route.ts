import { apiHealth } from "@/server/http/endpoints";

export const dynamic = "force-dynamic";

export const GET = apiHealth;
