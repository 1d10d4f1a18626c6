import { openApiDocument } from "@/server/http/endpoints";

// The OpenAPI document, generated from the route table (src/server/http/endpoints.ts).
export const dynamic = "force-dynamic";

export const GET = openApiDocument;
