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
import { deliveryStatus } from "./enums";
import { orgs } from "./orgs";
import { tickets } from "./tickets";
import { users } from "./users";

export const notifications = pgTable(
  "notifications",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    userId: uuid("user_id").notNull(),
    kind: text("kind").notNull(),
    ticketId: uuid("ticket_id"),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull().default({}),
    /** (kind, ticket, metric, due date, recipient): a retried job never notifies twice. */
    idempotencyKey: text("idempotency_key").notNull(),
    readAt: timestamp("read_at", { withTimezone: true }),
    /** Email channel state: sent once, guarded by a row lock in the email job. */
    emailedAt: timestamp("emailed_at", { withTimezone: true }),
    emailAttempts: integer("email_attempts").notNull().default(0),
    emailError: text("email_error"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("notifications_idempotency_key").on(t.orgId, t.idempotencyKey),
    index("notifications_user_idx").on(t.orgId, t.userId, t.createdAt.desc()),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
  ],
);

export const webhooks = pgTable(
  "webhooks",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    url: text("url").notNull(),
    secret: text("secret").notNull(),
    events: text("events").array().notNull(),
    active: boolean("active").notNull().default(true),
    /** The ETag of the webhook (decision 043): bumped by every change. */
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] })],
);

export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    webhookId: uuid("webhook_id").notNull(),
    event: text("event").notNull(),
    payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    status: deliveryStatus("status").notNull().default("pending"),
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    deliveredAt: timestamp("delivered_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    /** The ticket the event is about, and when it happened (in the transaction that caused it): deliveries of one ticket go out in this order (decision 043). */
    ticketId: uuid("ticket_id"),
    occurredAt: timestamp("occurred_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("webhook_deliveries_ticket_order_idx").on(t.orgId, t.webhookId, t.ticketId, t.occurredAt),
    uniqueIndex("webhook_deliveries_idempotency_key").on(t.orgId, t.webhookId, t.idempotencyKey),
    index("webhook_deliveries_webhook_idx").on(t.orgId, t.webhookId, t.createdAt.desc()),
    foreignKey({ columns: [t.orgId, t.webhookId], foreignColumns: [webhooks.orgId, webhooks.id] }).onDelete("cascade"),
  ],
);
