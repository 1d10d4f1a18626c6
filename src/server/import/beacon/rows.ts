import { sql, type SQL } from "drizzle-orm";
import { z } from "zod";

// The rows of a Beacon archive (docs/export-format.md) as the importer needs them: the columns it
// writes, checked; anything else in a row is ignored, so a newer archive's extra columns are no error.

const id = z.string().regex(/^[0-9a-f-]{36}$/i, { message: "must be a UUID" });
const time = z.string().min(10).max(40);
const maybeTime = time.nullable().optional();
const text = (max: number) => z.string().max(max);

export const ZUserRow = z.object({
  id,
  email: text(320).min(3),
  name: text(200),
  role: z.enum(["admin", "agent", "customer"]),
  blocked_at: maybeTime,
  email_bouncing_at: maybeTime,
  email_bouncing_reason: text(1000).nullable().optional(),
  created_at: time,
  updated_at: time,
});
export const ZCustomerOrgRow = z.object({
  id,
  name: text(200).min(1),
  notes: text(20_000).optional().default(""),
  domains: z.array(text(253)).max(1000).optional().default([]),
  created_at: time,
  updated_at: time,
});
export const ZUserCompanyRow = z.object({ user_id: id, customer_org_id: id });
export const ZCustomerNoteRow = z.object({
  id,
  customer_id: id,
  author_id: id.nullable(),
  body: text(20_000),
  created_at: time,
});
export const ZGroupRow = z.object({ id, name: text(200).min(1), created_at: time, updated_at: time });
export const ZGroupMemberRow = z.object({ group_id: id, user_id: id, away: z.boolean(), created_at: time });
export const ZTicketFieldRow = z.object({
  id,
  key: text(64).min(1),
  label: text(200),
  type: z.enum(["text", "textarea", "integer", "decimal", "date", "checkbox", "dropdown", "multiselect"]),
  options: z.array(z.string()).default([]),
  required_on_create: z.boolean(),
  required_on_solve: z.boolean(),
  customer_visible: z.boolean(),
  customer_editable: z.boolean(),
  position: z.number().int(),
  created_at: time,
  updated_at: time,
});
export const ZTicketRow = z.object({
  id,
  number: z.number().int().min(1).max(2_147_483_647),
  subject: text(200),
  requester_id: id,
  assignee_id: id.nullable(),
  group_id: id.nullable(),
  customer_org_id: id.nullable().optional(),
  status: z.enum(["new", "open", "pending", "on_hold", "solved", "closed"]),
  priority: z.enum(["low", "normal", "high", "urgent"]),
  tags: z.array(text(100)).max(100),
  first_response_due: maybeTime,
  first_response_at: maybeTime,
  next_response_due: maybeTime,
  resolve_due: maybeTime,
  resolved_at: maybeTime,
  sla_paused_at: maybeTime,
  sla_paused_seconds: z.number().int().min(0).optional().default(0),
  closed_at: maybeTime,
  custom_fields: z.record(z.string(), z.unknown()).optional().default({}),
  ccs: z
    .array(
      z.object({
        email: text(320),
        bouncing_at: maybeTime,
        bouncing_reason: text(1000).nullable().optional(),
        created_at: time,
      }),
    )
    .max(1000)
    .optional()
    .default([]),
  created_at: time,
  updated_at: time,
});
export const ZTicketMergeRow = z.object({ ticket_id: id, merged_into_id: id });
export const ZTicketLinkRow = z.object({ ticket_a: id, ticket_b: id, created_by: id.nullable(), created_at: time });
export const ZCommentRow = z.object({
  id,
  ticket_id: id,
  author_id: id,
  body: z.string().max(1_000_000),
  internal: z.boolean(),
  channel: z.enum(["web", "email", "api"]),
  email: z.record(z.string(), z.unknown()).nullable().optional(),
  created_at: time,
});
export const ZMessageIdRow = z.object({
  message_id: text(998).min(3),
  ticket_id: id,
  comment_id: id.nullable(),
  direction: z.enum(["inbound", "outbound"]),
  created_at: time,
});
export const ZAttachmentRow = z.object({
  id,
  ticket_id: id,
  comment_id: id.nullable(),
  uploader_id: id,
  filename: text(1000),
  size_bytes: z.number().int().min(0),
  sha256: text(64),
  file: z.string(),
  created_at: time,
});
export const ZSlaEventRow = z.object({
  id,
  ticket_id: id,
  metric: z.enum(["first_response", "next_response", "resolution"]),
  kind: z.enum(["apply", "pause", "resume", "fulfill", "warn", "breach"]),
  at: time,
  due_at: maybeTime,
  data: z.record(z.string(), z.unknown()).optional().default({}),
});
export const ZCsatRow = z.object({
  ticket_id: id,
  rating: z.enum(["good", "bad"]),
  comment: text(5000).optional().default(""),
  requester_id: id,
  assignee_id: id.nullable(),
  group_id: id.nullable(),
  changes: z.number().int().min(1).optional().default(1),
  created_at: time,
  updated_at: time,
});
export const ZAuditRow = z.object({
  seq: z.number().int().min(1),
  actor_id: id.nullable(),
  action: z.string(),
  entity_type: z.string(),
  entity_id: z.string().nullable(),
  data: z.record(z.string(), z.unknown()),
  request_id: z.string().nullable(),
  prev_hash: z.string(),
  hash: z.string(),
  at: z.string(),
});

/**
 * An archive's timestamp as PostgreSQL reads it: the text goes to the database as written, so
 * microseconds survive (a JavaScript Date would keep milliseconds).
 */
export const ts = (s: string | null | undefined): SQL | null => (s ? sql`${s}::timestamptz` : null);

/** The first zod issue as the report's reason (`malformed: <field>`) and detail. */
export function malformed(err: z.ZodError): { reason: string; detail: string } {
  const i = err.issues[0];
  const where = i?.path.join(".") || "record";
  return { reason: `malformed: ${where}`, detail: `${where}: ${i?.message ?? "invalid"}` };
}

export const sourceIdOf = (v: unknown): string | null => {
  const x = v as { id?: unknown; ticket_id?: unknown };
  return typeof x?.id === "string" ? x.id : typeof x?.ticket_id === "string" ? x.ticket_id : null;
};
