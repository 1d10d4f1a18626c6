import { openApiDocument } from "@/server/http/api-spec";

export const dynamic = "force-static";

export function GET(): Response {
  return Response.json(openApiDocument());
}
