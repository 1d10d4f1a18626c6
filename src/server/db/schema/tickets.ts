import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
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
  varchar,
} from "drizzle-orm/pg-core";
import { commentChannel, ticketPriority, ticketStatus } from "./enums";
import { groups } from "./automation";
import { orgs } from "./orgs";
import { users } from "./users";

/** Stored custom field values by key: what zod let through for each field type. */
export type CustomFieldValues = Record<string, string | number | boolean | string[]>;

export const tsvector = customType<{ data: string }>({ dataType: () => "tsvector" });

export const tickets = pgTable(
  "tickets",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    number: integer("number").notNull(),
    subject: varchar("subject", { length: 200 }).notNull(),
    requesterId: uuid("requester_id").notNull(),
    assigneeId: uuid("assignee_id"),
    /** The agent group (team) the ticket is with; null when none (drizzle/0019, decision 042). */
    groupId: uuid("group_id"),
    /**
     * The customer company the ticket is for, when the source said (Freshdesk's company_id,
     * decision 062). Foreign key (org_id, customer_org_id) → customer_orgs ON DELETE SET NULL
     * (customer_org_id), in SQL (drizzle/0028): customer_orgs' schema imports this file.
     */
    customerOrgId: uuid("customer_org_id"),
    status: ticketStatus("status").notNull().default("new"),
    priority: ticketPriority("priority").notNull().default("normal"),
    tags: text("tags")
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    slaPolicyId: uuid("sla_policy_id"),
    firstResponseDue: timestamp("first_response_due", { withTimezone: true }),
    firstResponseAt: timestamp("first_response_at", { withTimezone: true }),
    nextResponseDue: timestamp("next_response_due", { withTimezone: true }),
    resolveDue: timestamp("resolve_due", { withTimezone: true }),
    resolvedAt: timestamp("resolved_at", { withTimezone: true }),
    /** Set while the resolution clock is paused (status in the policy's pauseOn). */
    slaPausedAt: timestamp("sla_paused_at", { withTimezone: true }),
    /** Paused time already credited to resolveDue, in seconds (kept across priority changes). */
    slaPausedSeconds: integer("sla_paused_seconds").notNull().default(0),
    closedAt: timestamp("closed_at", { withTimezone: true }),
    /** Set when this ticket was merged into another (closed, pointing there; decision 051). */
    mergedIntoId: uuid("merged_into_id"),
    /** Optimistic concurrency: bumped on every update. */
    version: integer("version").notNull().default(1),
    /**
     * Values of the org's custom ticket fields by field key (SPEC §13), validated against the
     * definitions (ticket_fields) when written; GIN-indexed with org_id in SQL (drizzle/0024, decision 050).
     */
    customFields: jsonb("custom_fields")
      .$type<CustomFieldValues>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    searchVector: tsvector("search_vector"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("tickets_org_number_key").on(t.orgId, t.number),
    // Ascending on purpose: a backward scan serves "order by updated_at desc, id desc" exactly,
    // while drizzle's .desc() means DESC NULLS LAST, which that ORDER BY cannot use (decision 008).
    index("tickets_org_updated_idx").on(t.orgId, t.updatedAt, t.id),
    index("tickets_org_assignee_updated_idx").on(t.orgId, t.assigneeId, t.updatedAt, t.id),
    index("tickets_org_requester_idx").on(t.orgId, t.requesterId, t.updatedAt, t.id),
    // ?group= in the ticket list, newest first, as the assignee filter.
    index("tickets_org_group_updated_idx").on(t.orgId, t.groupId, t.updatedAt, t.id),
    index("tickets_org_status_idx").on(t.orgId, t.status, t.updatedAt.desc()),
    // Full-text and trigram indexes lead with org_id (btree_gin) and are created in SQL: drizzle/0008.
    // The SLA scan's next check lives in the narrow sla_checks table (drizzle/0022, decision 047).
    index("tickets_tags_idx").using("gin", t.tags),
    index("tickets_org_customer_org_idx")
      .on(t.orgId, t.customerOrgId)
      .where(sql`${t.customerOrgId} is not null`),
    foreignKey({ columns: [t.orgId, t.requesterId], foreignColumns: [users.orgId, users.id] }),
    foreignKey({ columns: [t.orgId, t.assigneeId], foreignColumns: [users.orgId, users.id] }),
    // A deleted group leaves its tickets without a group: the SQL says ON DELETE SET NULL ("group_id"),
    // which drizzle cannot express (a plain SET NULL would null org_id too).
    foreignKey({ columns: [t.orgId, t.groupId], foreignColumns: [groups.orgId, groups.id] }).onDelete("set null"),
    foreignKey({ columns: [t.orgId, t.mergedIntoId], foreignColumns: [t.orgId, t.id] }),
  ],
);

export type CommentEmail = {
  from: string;
  to: string[];
  cc: string[];
  messageId: string | null;
  /** Attachments the upload rules refused, listed so nothing is dropped silently. */
  refused?: { filename: string; reason: string }[];
  /** SPF/DKIM/DMARC verdicts (pass, fail, none, softfail, neutral, temperror, permerror, or "not checked"; decision 035). */
  auth?: { spf: string; dkim: string; dmarc: string };
};

export const comments = pgTable(
  "comments",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    ticketId: uuid("ticket_id").notNull(),
    authorId: uuid("author_id").notNull(),
    body: text("body").notNull(),
    bodyHtml: text("body_html").notNull(),
    internal: boolean("internal").notNull().default(false),
    channel: commentChannel("channel").notNull().default("web"),
    /** For channel email: who sent it to whom (SPEC §11 comment shape). */
    email: jsonb("email").$type<CommentEmail>(),
    searchVector: tsvector("search_vector"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("comments_ticket_idx").on(t.orgId, t.ticketId, t.createdAt, t.id),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.authorId], foreignColumns: [users.orgId, users.id] }),
  ],
);

export const attachments = pgTable(
  "attachments",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    ticketId: uuid("ticket_id").notNull(),
    commentId: uuid("comment_id"),
    uploaderId: uuid("uploader_id").notNull(),
    filename: text("filename").notNull(),
    contentType: text("content_type").notNull(),
    sizeBytes: bigint("size_bytes", { mode: "number" }).notNull(),
    sha256: text("sha256").notNull(),
    storageKey: text("storage_key").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("attachments_ticket_idx").on(t.orgId, t.ticketId),
    // Keys are unique by construction; the index lets the orphan sweep ask "is this key known?".
    uniqueIndex("attachments_org_storage_key_key").on(t.orgId, t.storageKey),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.commentId], foreignColumns: [comments.orgId, comments.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.uploaderId], foreignColumns: [users.orgId, users.id] }),
  ],
);
