import { pgEnum } from "drizzle-orm/pg-core";

export const userRole = pgEnum("user_role", ["admin", "agent", "customer"]);
export const ticketStatus = pgEnum("ticket_status", ["new", "open", "pending", "on_hold", "solved", "closed"]);
export const ticketPriority = pgEnum("ticket_priority", ["low", "normal", "high", "urgent"]);
export const slaMetric = pgEnum("sla_metric", ["first_response", "next_response", "resolution"]);
export const slaEventKind = pgEnum("sla_event_kind", ["apply", "pause", "resume", "fulfill", "warn", "breach"]);
export const oneTimeTokenPurpose = pgEnum("one_time_token_purpose", ["setup", "invite", "password_reset"]);
/** How a comment arrived (SPEC §11). */
export const commentChannel = pgEnum("comment_channel", ["web", "email", "api"]);
export const deliveryStatus = pgEnum("delivery_status", ["pending", "succeeded", "failed", "dead"]);

export const ROLES = userRole.enumValues;
export const TICKET_STATUSES = ticketStatus.enumValues;
export const TICKET_PRIORITIES = ticketPriority.enumValues;
export type Role = (typeof ROLES)[number];
export type TicketStatus = (typeof TICKET_STATUSES)[number];
export type TicketPriority = (typeof TICKET_PRIORITIES)[number];
