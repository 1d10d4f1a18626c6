import { dispatch } from "@/server/api/dispatch";

// Every /api/v1 endpoint, from the route table (src/server/api/table.ts), plus the API's JSON 404
// and 405 for paths and methods nobody serves. No other route file lives under api/v1: one would
// win over this catch-all for its path (tests/unit/openapi.test.ts refuses it).

export const GET = dispatch;
export const POST = dispatch;
export const PUT = dispatch;
export const PATCH = dispatch;
export const DELETE = dispatch;
