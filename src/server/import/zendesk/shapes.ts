import { z } from "zod";
import type { TicketPriority, TicketStatus } from "../../db/schema/enums";

// The records of Zendesk's exports as the Support API documents them (Users, Organizations,
// Tickets, Ticket Comments; the incremental export API returns the same objects in pages, the
// account JSON export one per line with the ticket's comments inside). Only what Beacon keeps is
// checked; everything else is ignored, so a field Zendesk adds later breaks nothing.

import { clean } from "../record-shape";

/** Zendesk ids are integers; some tools write them as strings. Kept as text in import_id_map. */
const ZId = z.union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)]).transform(String);
const ZTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const ZZendeskUser = z.object({
  id: ZId,
  name: z.string().trim().max(1000).nullish(),
  email: z.string().trim().max(320).nullish(),
  role: z.enum(["end-user", "agent", "admin"]).default("end-user"),
  suspended: z.boolean().nullish(),
  /** The user's organization (a customer company imported before the users). */
  organization_id: ZId.nullish(),
  created_at: ZTime.nullish(),
  updated_at: ZTime.nullish(),
});
export type ZendeskUser = z.output<typeof ZZendeskUser>;

export const ZZendeskOrganization = z.object({
  id: ZId,
  name: z.string().transform(clean).pipe(z.string().trim().min(1).max(255)),
  domain_names: z.array(z.string().trim().toLowerCase().max(253)).nullish(),
  notes: z.string().nullish(),
  details: z.string().nullish(),
  created_at: ZTime.nullish(),
});
export type ZendeskOrganization = z.output<typeof ZZendeskOrganization>;

export const ZZendeskTicketField = z.object({
  id: ZId,
  type: z.string().max(50),
  title: z.string().transform(clean).pipe(z.string().trim().min(1).max(1000)),
  position: z.number().int().nullish(),
  custom_field_options: z.array(z.object({ name: z.string().nullish(), value: z.string() })).nullish(),
});
export type ZendeskTicketField = z.output<typeof ZZendeskTicketField>;

export const ZZendeskGroup = z.object({
  id: ZId,
  name: z.string().transform(clean).pipe(z.string().trim().min(1).max(100)),
  deleted: z.boolean().nullish(),
});

export const ZZendeskGroupMembership = z.object({ id: ZId, user_id: ZId, group_id: ZId });

export const ZZendeskAttachment = z.object({
  id: ZId.nullish(),
  file_name: z.string().max(1000).nullish(),
  content_url: z.string().max(4000).nullish(),
  content_type: z.string().max(255).nullish(),
  size: z.number().int().nonnegative().nullish(),
});

export const ZZendeskComment = z.object({
  id: ZId,
  author_id: ZId.nullish(),
  body: z.string().nullish(),
  plain_body: z.string().nullish(),
  public: z.boolean().default(true),
  created_at: ZTime,
  attachments: z.array(ZZendeskAttachment).nullish(),
  via: z
    .object({
      channel: z.string().nullish(),
      source: z
        .object({
          from: z.object({ address: z.string().nullish() }).partial().nullish(),
          to: z.object({ address: z.string().nullish() }).partial().nullish(),
        })
        .partial()
        .nullish(),
    })
    .partial()
    .nullish(),
  metadata: z
    .object({ system: z.object({ message_id: z.string().nullish() }).partial().nullish() })
    .partial()
    .nullish(),
});
export type ZendeskComment = z.output<typeof ZZendeskComment>;

export const ZZendeskTicket = z.object({
  id: ZId,
  subject: z.string().nullish(),
  raw_subject: z.string().nullish(),
  description: z.string().nullish(),
  status: z.enum(["new", "open", "pending", "hold", "solved", "closed", "deleted"]),
  priority: z.enum(["urgent", "high", "normal", "low"]).nullish(),
  requester_id: ZId.nullish(),
  submitter_id: ZId.nullish(),
  assignee_id: ZId.nullish(),
  group_id: ZId.nullish(),
  /** The requester's organization when the ticket was made (Zendesk keeps it on the ticket). */
  organization_id: ZId.nullish(),
  /** Who is copied on the ticket's mail (email_cc_ids; accounts before CCs and followers had collaborator_ids). */
  email_cc_ids: z.array(ZId).nullish(),
  collaborator_ids: z.array(ZId).nullish(),
  tags: z.array(z.string()).nullish(),
  custom_fields: z.array(z.object({ id: ZId, value: z.unknown() })).nullish(),
  created_at: ZTime,
  updated_at: ZTime.nullish(),
  /** In the account JSON export; the incremental export leaves comments to the Ticket Comments API. */
  comments: z.array(z.unknown()).nullish(),
  /** The ticket's rating ({id, score, comment}) and metrics, where the export has them; checked by their own shapes (write-history.ts). */
  satisfaction_rating: z.unknown().optional(),
  metric_set: z.unknown().optional(),
});
export type ZendeskTicket = z.output<typeof ZZendeskTicket>;

export const ZENDESK_STATUS: Record<Exclude<ZendeskTicket["status"], "deleted">, TicketStatus> = {
  new: "new",
  open: "open",
  pending: "pending",
  hold: "on_hold",
  solved: "solved",
  closed: "closed",
};
export const zendeskPriority = (p: ZendeskTicket["priority"]): TicketPriority => p ?? "normal";

/**
 * One recorded SLA event (Ticket Metric Events API, and its incremental export
 * `GET /api/v2/incremental/ticket_metric_events`: `{"ticket_metric_events": [...]}`). `instance_id`
 * counts the metric's runs on the ticket (reply_time 1 is the first reply, 2 and up the next ones);
 * `sla` comes with apply_sla, `deleted` with a breach that no longer counts.
 */
export const ZZendeskMetricEvent = z.object({
  id: ZId,
  ticket_id: ZId,
  metric: z.string().max(100),
  instance_id: z.number().int().nonnegative().nullish(),
  type: z.string().max(100),
  time: ZTime,
  sla: z
    .object({
      target: z.number().nullish(),
      business_hours: z.boolean().nullish(),
      policy: z
        .object({
          id: ZId.nullish(),
          title: z.string().max(1000).nullish(),
          description: z.string().max(5000).nullish(),
        })
        .nullish(),
    })
    .nullish(),
  deleted: z.boolean().nullish(),
});
export type ZendeskMetricEvent = z.output<typeof ZZendeskMetricEvent>;

const ZMinutes = z.object({ calendar: z.number().nullish(), business: z.number().nullish() }).nullish();

/** A ticket's metrics (Ticket Metrics API `{"ticket_metrics": [...]}`, or a ticket's `metric_set`). */
export const ZZendeskTicketMetric = z.object({
  id: ZId,
  ticket_id: ZId,
  reply_time_in_minutes: ZMinutes,
  solved_at: ZTime.nullish(),
});
export type ZendeskTicketMetric = z.output<typeof ZZendeskTicketMetric>;

/**
 * A satisfaction rating (Satisfaction Ratings API and its incremental export, or a ticket's own
 * `satisfaction_rating`): `good` or `bad` (with `_with_comment` in older accounts) is a rating;
 * `offered` and `unoffered` are surveys nobody answered.
 */
export const ZZendeskSatisfactionRating = z.object({
  id: ZId.nullish(),
  ticket_id: ZId.nullish(),
  score: z.enum(["good", "bad", "good_with_comment", "bad_with_comment", "offered", "unoffered"]),
  comment: z.string().nullish(),
  created_at: ZTime.nullish(),
  updated_at: ZTime.nullish(),
});
export type ZendeskSatisfactionRating = z.output<typeof ZZendeskSatisfactionRating>;
