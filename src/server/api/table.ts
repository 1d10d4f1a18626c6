import "server-only";
import type { ApiOperation } from "./operation";
import { AUDIT_OPERATIONS } from "./routes/audit";
import { FEATURE_FLAG_OPERATIONS } from "./routes/feature-flags";
import { WEBHOOK_OPERATIONS } from "./routes/webhooks";

// Every operation the /api/v1 catch-all serves and the OpenAPI document lists. A resource moves
// here from its route files one at a time (docs/decisions/032-route-table.md); the endpoints not
// yet moved are still documented by the legacy OPERATIONS list in src/server/http/api-spec.ts.

export const TABLE: readonly ApiOperation[] = [
  ...AUDIT_OPERATIONS,
  ...FEATURE_FLAG_OPERATIONS,
  ...WEBHOOK_OPERATIONS,
];
