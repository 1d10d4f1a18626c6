import { z } from "zod";
import type { TicketPriority, TicketStatus } from "../../db/schema/enums";
import { clean } from "../record-shape";

// The records of the Freshdesk API v2 as a migration tool saves them (GET /api/v2/contacts,
// /agents, /companies, /groups, /ticket_fields, /tickets?include=conversations or
// /tickets/{id}/conversations). Only what Beacon keeps is checked; everything else is ignored, so
// a field Freshdesk adds later breaks nothing.

/** Freshdesk ids are integers (some tools write them as strings); kept as text in import_id_map. */
const ZId = z.union([z.number().int().positive(), z.string().regex(/^\d{1,20}$/)]).transform(String);
const ZTime = z.iso.datetime({ offset: true }).transform((s) => new Date(s));
const ZEmails = z.array(z.string().max(320)).nullish();

export const ZFreshdeskContact = z.object({
  id: ZId,
  name: z.string().max(1000).nullish(),
  email: z.string().trim().max(320).nullish(),
  company_id: ZId.nullish(),
  active: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
  created_at: ZTime.nullish(),
  updated_at: ZTime.nullish(),
});
export type FreshdeskContact = z.output<typeof ZFreshdeskContact>;

/** An agent is a user with a contact (name, email) inside; agent ids are user ids, as requester_id and user_id use them. */
export const ZFreshdeskAgent = z.object({
  id: ZId,
  contact: z.object({ name: z.string().max(1000).nullish(), email: z.string().trim().max(320).nullish() }),
  created_at: ZTime.nullish(),
  group_ids: z.array(ZId).nullish(),
});
export type FreshdeskAgent = z.output<typeof ZFreshdeskAgent>;

export const ZFreshdeskCompany = z.object({
  id: ZId,
  name: z.string().transform(clean).pipe(z.string().trim().min(1).max(255)),
  description: z.string().nullish(),
  note: z.string().nullish(),
  domains: z.array(z.string().trim().toLowerCase().max(253)).nullish(),
  created_at: ZTime.nullish(),
});

export const ZFreshdeskGroup = z.object({
  id: ZId,
  name: z.string().transform(clean).pipe(z.string().trim().min(1).max(100)),
  /** The group's agents (GET /groups gives agent_ids). */
  agent_ids: z.array(ZId).nullish(),
});

/** Choices come as strings (custom_dropdown), as objects with a value (the admin API), or keyed (status). */
const ZChoices = z
  .union([
    z.array(z.union([z.string(), z.object({ value: z.string() }).transform((o) => o.value)])),
    z.record(z.string(), z.unknown()).transform((o) => Object.keys(o)),
  ])
  .nullish();

export const ZFreshdeskTicketField = z.object({
  id: ZId,
  /** "cf_order_number" for a custom field: the key of the tickets' custom_fields. */
  name: z.string().min(1).max(200),
  label: z.string().transform(clean).pipe(z.string().trim().min(1).max(1000)),
  type: z.string().max(50),
  default: z.boolean().nullish(),
  position: z.number().int().nullish(),
  choices: ZChoices,
});
export type FreshdeskTicketField = z.output<typeof ZFreshdeskTicketField>;

export const ZFreshdeskAttachment = z.object({
  id: ZId.nullish(),
  name: z.string().max(1000).nullish(),
  attachment_url: z.string().max(4000).nullish(),
  content_type: z.string().max(255).nullish(),
  size: z.number().int().nonnegative().nullish(),
});

export const ZFreshdeskConversation = z.object({
  id: ZId,
  ticket_id: ZId.nullish(),
  user_id: ZId.nullish(),
  body: z.string().nullish(),
  body_text: z.string().nullish(),
  private: z.boolean().default(false),
  incoming: z.boolean().nullish(),
  /** 0 reply, 2 note, 5 tweet, 6 survey feedback, 7 Facebook post, 8 forwarded email, 9 phone … */
  source: z.number().int().nullish(),
  from_email: z.string().max(1000).nullish(),
  to_emails: ZEmails,
  cc_emails: ZEmails,
  created_at: ZTime,
  attachments: z.array(ZFreshdeskAttachment).nullish(),
});
export type FreshdeskConversation = z.output<typeof ZFreshdeskConversation>;

export const ZFreshdeskTicket = z.object({
  id: ZId,
  subject: z.string().nullish(),
  description: z.string().nullish(),
  description_text: z.string().nullish(),
  status: z.number().int().min(2),
  priority: z.number().int().min(1).max(4).nullish(),
  source: z.number().int().nullish(),
  requester_id: ZId.nullish(),
  responder_id: ZId.nullish(),
  group_id: ZId.nullish(),
  company_id: ZId.nullish(),
  email: z.string().max(320).nullish(),
  to_emails: ZEmails,
  cc_emails: ZEmails,
  tags: z.array(z.string()).nullish(),
  custom_fields: z.record(z.string(), z.unknown()).nullish(),
  spam: z.boolean().nullish(),
  deleted: z.boolean().nullish(),
  created_at: ZTime,
  updated_at: ZTime.nullish(),
  attachments: z.array(ZFreshdeskAttachment).nullish(),
  /** With ?include=conversations; else in a conversations file. */
  conversations: z.array(z.unknown()).nullish(),
  /** Freshdesk's SLA as it recorded it (decision 061): the due times, and whether each was breached (escalated). */
  fr_due_by: ZTime.nullish(),
  due_by: ZTime.nullish(),
  fr_escalated: z.boolean().nullish(),
  is_escalated: z.boolean().nullish(),
  /** With ?include=stats: when the ticket was first answered, resolved, closed. */
  stats: z
    .object({ first_responded_at: ZTime.nullish(), resolved_at: ZTime.nullish(), closed_at: ZTime.nullish() })
    .nullish(),
});
export type FreshdeskTicket = z.output<typeof ZFreshdeskTicket>;

/** Freshdesk's status codes; a custom status (6 and up) is imported as open, its code kept in the audit event. */
export const FRESHDESK_STATUS: Record<number, TicketStatus> = { 2: "open", 3: "pending", 4: "solved", 5: "closed" };
export const FRESHDESK_PRIORITY: Record<number, TicketPriority> = { 1: "low", 2: "normal", 3: "high", 4: "urgent" };
/** Ticket sources that are email (1 email, 10 outbound email); portal, phone, chat and widgets are web. */
export const EMAIL_SOURCES = new Set([1, 10]);
/** Conversation sources that are mail (0 reply, 8 forwarded email); notes, phone and social ones are not. */
export const EMAIL_CONVERSATION_SOURCES = new Set([0, 8]);

/**
 * A satisfaction rating (GET /api/v2/surveys/satisfaction_ratings): `ratings` holds one answer
 * per survey question, `default_question` the overall one, on Freshdesk's scale from -103
 * (extremely unhappy) through 100 (neutral) to 103 (extremely happy).
 */
export const ZFreshdeskSatisfactionRating = z.object({
  id: ZId,
  ticket_id: ZId,
  ratings: z.object({
    default_question: z
      .number()
      .int()
      .refine((v) => v === 100 || (Math.abs(v) >= 101 && Math.abs(v) <= 103), "not on Freshdesk's scale"),
  }),
  feedback: z.string().nullish(),
  created_at: ZTime.nullish(),
  updated_at: ZTime.nullish(),
});
export type FreshdeskSatisfactionRating = z.output<typeof ZFreshdeskSatisfactionRating>;

/** Freshdesk's scale cut for Beacon's good/bad: above neutral (101-103) is good, below (-101 to -103) bad; neutral (100) is neither. */
export function freshdeskRating(score: number): "good" | "bad" | null {
  return score > 100 ? "good" : score < 100 ? "bad" : null;
}
