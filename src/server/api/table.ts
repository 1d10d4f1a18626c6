import "server-only";
import type { ApiOperation } from "./operation";
import { ATTACHMENT_OPERATIONS } from "./routes/attachments";
import { AUDIT_OPERATIONS } from "./routes/audit";
import { BULK_OPERATIONS } from "./routes/bulk";
import { AUTH_OPERATIONS } from "./routes/auth";
import { AUTOMATION_OPERATIONS } from "./routes/automation";
import { EMAIL_OPERATIONS } from "./routes/email";
import { EXPORT_OPERATIONS } from "./routes/export";
import { FIELD_OPERATIONS } from "./routes/fields";
import { FEATURE_FLAG_OPERATIONS } from "./routes/feature-flags";
import { IMPORT_OPERATIONS } from "./routes/imports";
import { JOB_OPERATIONS } from "./routes/jobs";
import { ME_OPERATIONS } from "./routes/me";
import { NOTIFICATION_OPERATIONS } from "./routes/notifications";
import { ORG_OPERATIONS } from "./routes/org";
import { SLA_POLICY_OPERATIONS } from "./routes/sla-policies";
import { TICKET_OPERATIONS } from "./routes/tickets";
import { TOKEN_OPERATIONS } from "./routes/tokens";
import { USER_OPERATIONS } from "./routes/users";
import { VIEW_OPERATIONS } from "./routes/views";
import { WEBHOOK_OPERATIONS } from "./routes/webhooks";
import { WORKSPACE_OPERATIONS } from "./routes/workspace";

// Every operation the /api/v1 catch-all serves and the OpenAPI document lists: every /api/v1
// endpoint, each defined once in routes/<resource>.ts (docs/decisions/032-route-table.md).

export const TABLE: readonly ApiOperation[] = [
  ...ATTACHMENT_OPERATIONS,
  ...AUDIT_OPERATIONS,
  ...AUTH_OPERATIONS,
  ...BULK_OPERATIONS,
  ...AUTOMATION_OPERATIONS,
  ...EMAIL_OPERATIONS,
  ...EXPORT_OPERATIONS,
  ...FEATURE_FLAG_OPERATIONS,
  ...FIELD_OPERATIONS,
  ...IMPORT_OPERATIONS,
  ...JOB_OPERATIONS,
  ...ME_OPERATIONS,
  ...NOTIFICATION_OPERATIONS,
  ...ORG_OPERATIONS,
  ...SLA_POLICY_OPERATIONS,
  ...TICKET_OPERATIONS,
  ...TOKEN_OPERATIONS,
  ...USER_OPERATIONS,
  ...VIEW_OPERATIONS,
  ...WEBHOOK_OPERATIONS,
  ...WORKSPACE_OPERATIONS,
];
