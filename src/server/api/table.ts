import "server-only";
import type { ApiOperation } from "./operation";
import { ATTACHMENT_OPERATIONS } from "./routes/attachments";
import { AUDIT_OPERATIONS } from "./routes/audit";
import { AUTH_OPERATIONS } from "./routes/auth";
import { EMAIL_OPERATIONS } from "./routes/email";
import { FEATURE_FLAG_OPERATIONS } from "./routes/feature-flags";
import { ME_OPERATIONS } from "./routes/me";
import { ORG_OPERATIONS } from "./routes/org";
import { TICKET_OPERATIONS } from "./routes/tickets";
import { TOKEN_OPERATIONS } from "./routes/tokens";
import { USER_OPERATIONS } from "./routes/users";
import { WEBHOOK_OPERATIONS } from "./routes/webhooks";

// Every operation the /api/v1 catch-all serves and the OpenAPI document lists. A resource moves
// here from its route files one at a time (docs/decisions/032-route-table.md); the endpoints not
// yet moved are still documented by the legacy OPERATIONS list in src/server/http/api-spec.ts.

export const TABLE: readonly ApiOperation[] = [
  ...ATTACHMENT_OPERATIONS,
  ...AUDIT_OPERATIONS,
  ...AUTH_OPERATIONS,
  ...EMAIL_OPERATIONS,
  ...FEATURE_FLAG_OPERATIONS,
  ...ME_OPERATIONS,
  ...ORG_OPERATIONS,
  ...TICKET_OPERATIONS,
  ...TOKEN_OPERATIONS,
  ...USER_OPERATIONS,
  ...WEBHOOK_OPERATIONS,
];
