import { openApiDocument } from "@/server/api/endpoints";

// The OpenAPI document, generated from the route table (src/server/api/endpoints.ts).
export const dynamic = "force-dynamic";

export const GET = openApiDocument;
