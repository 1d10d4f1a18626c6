import { sql } from "drizzle-orm";
import {
  boolean,
  foreignKey,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { slaEventKind, slaMetric, ticketPriority, ticketStatus } from "./enums";
import { orgs } from "./orgs";
import { tickets } from "./tickets";

/** One working interval on a weekday (0 = Sunday), local time "HH:MM"; several per day allowed. */
export type CalendarInterval = { day: number; start: string; end: string };

export const calendars = pgTable(
  "calendars",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    name: text("name").notNull(),
    timezone: text("timezone").notNull(),
    intervals: jsonb("intervals").$type<CalendarInterval[]>().notNull(),
    /** Local dates "YYYY-MM-DD" with no working time. */
    holidays: jsonb("holidays").$type<string[]>().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export const slaPolicies = pgTable(
  "sla_policies",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    priority: ticketPriority("priority").notNull(),
    firstResponseMinutes: integer("first_response_minutes").notNull(),
    resolveMinutes: integer("resolve_minutes").notNull(),
    nextResponseMinutes: integer("next_response_minutes"),
    businessHours: boolean("business_hours").notNull().default(false),
    calendarId: uuid("calendar_id"),
    pauseOn: ticketStatus("pause_on")
      .array()
      .notNull()
      .default(sql`'{pending}'::ticket_status[]`),
    /** The ETag of the policy (decision 043): bumped by every change. */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("sla_policies_org_priority_key").on(t.orgId, t.priority),
    foreignKey({ columns: [t.orgId, t.calendarId], foreignColumns: [calendars.orgId, calendars.id] }),
  ],
);

export const slaEvents = pgTable(
  "sla_events",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    ticketId: uuid("ticket_id").notNull(),
    metric: slaMetric("metric").notNull(),
    kind: slaEventKind("kind").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
    dueAt: timestamp("due_at", { withTimezone: true }),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("sla_events_ticket_idx").on(t.orgId, t.ticketId, t.at),
    // A warning or breach is recorded once per metric and due date.
    uniqueIndex("sla_events_once_key")
      .on(t.orgId, t.ticketId, t.metric, t.kind, t.dueAt)
      .where(sql`${t.kind} in ('warn', 'breach')`),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
  ],
);

/**
 * When the SLA scan next has work on a ticket (a warning or a due time): one narrow row per ticket
 * with something running, none otherwise (decision 047). Written by the ticket's own writes, read
 * and moved by the scan, which so touches 40-byte rows instead of wide ticket rows with 12 indexes.
 */
export const slaChecks = pgTable(
  "sla_checks",
  {
    orgId: uuid("org_id").notNull(),
    ticketId: uuid("ticket_id").notNull(),
    nextCheckAt: timestamp("next_check_at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.ticketId] }),
    index("sla_checks_next_check_idx").on(t.nextCheckAt),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
  ],
);
