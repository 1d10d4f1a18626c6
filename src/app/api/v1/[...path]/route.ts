import { dispatch } from "@/server/api/dispatch";

// Every /api/v1 endpoint in the route table (src/server/api/table.ts), plus the API's JSON 404
// and 405 for paths and methods nobody serves. A route file beside this one still wins over it
// for its own path while its resource waits to move into the table.

export const GET = dispatch;
export const POST = dispatch;
export const PUT = dispatch;
export const PATCH = dispatch;
export const DELETE = dispatch;
