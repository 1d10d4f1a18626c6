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
import { orgs } from "./orgs";
import { users } from "./users";

// The agent workspace (SPEC §13, issue 14, docs/decisions/050-custom-fields-views-bulk.md):
// custom ticket field definitions, saved views and bulk-change jobs.

export const FIELD_TYPES = [
  "text",
  "textarea",
  "integer",
  "decimal",
  "date",
  "checkbox",
  "dropdown",
  "multiselect",
] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** A custom ticket field of an org; tickets hold its values in tickets.custom_fields under `key`. */
export const ticketFields = pgTable(
  "ticket_fields",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    /** The key in customFields and in ?cf.<key>= (lower-case letters, digits, _), fixed once created. */
    key: text("key").notNull(),
    label: text("label").notNull(),
    type: text("type").$type<FieldType>().notNull(),
    /** The choices of a dropdown or multiselect; [] for the other types. */
    options: jsonb("options")
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    requiredOnCreate: boolean("required_on_create").notNull().default(false),
    requiredOnSolve: boolean("required_on_solve").notNull().default(false),
    customerVisible: boolean("customer_visible").notNull().default(false),
    customerEditable: boolean("customer_editable").notNull().default(false),
    position: integer("position").notNull().default(0),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] }), uniqueIndex("ticket_fields_org_key_key").on(t.orgId, t.key)],
);

export const VIEW_SHARING = ["personal", "org", "group"] as const;
export type ViewSharing = (typeof VIEW_SHARING)[number];

/** A saved ticket list: filters (as GET /tickets takes them), columns and sort, for one agent, a group or the org. */
export const ticketViews = pgTable(
  "ticket_views",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    name: text("name").notNull(),
    sharing: text("sharing").$type<ViewSharing>().notNull(),
    /** The agent a personal view belongs to (null for shared views). */
    ownerId: uuid("owner_id"),
    /** The group a group view is shared with. */
    groupId: uuid("group_id"),
    /** The built-in view this row stands for ("mine", "unassigned"…), null for views people made. */
    builtinKey: text("builtin_key"),
    filters: jsonb("filters").$type<Record<string, string>>().notNull(),
    columns: jsonb("columns").$type<string[]>().notNull(),
    sort: text("sort").notNull().default("-updatedAt"),
    position: integer("position").notNull().default(0),
    hidden: boolean("hidden").notNull().default(false),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("ticket_views_org_position_idx").on(t.orgId, t.position),
    uniqueIndex("ticket_views_org_builtin_key")
      .on(t.orgId, t.builtinKey)
      .where(sql`${t.builtinKey} is not null`),
    foreignKey({ columns: [t.orgId, t.ownerId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);

export const BULK_STATES = ["queued", "running", "done", "failed"] as const;
export type BulkState = (typeof BULK_STATES)[number];

/** One bulk change of many tickets, run by the worker in short batches; progress and refusals are kept here. */
export const bulkJobs = pgTable(
  "bulk_jobs",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    actorId: uuid("actor_id").notNull(),
    /** The change: {set: {...ticket PATCH...}} or {macroId}. */
    action: jsonb("action").$type<Record<string, unknown>>().notNull(),
    /** The tickets, fixed when the job was made (an explicit selection or every match of a filter then). */
    ticketIds: uuid("ticket_ids").array().notNull(),
    state: text("state").$type<BulkState>().notNull().default("queued"),
    total: integer("total").notNull(),
    processed: integer("processed").notNull().default(0),
    changed: integer("changed").notNull().default(0),
    /** Tickets that could not change, with why: [{ticketId, number, code, message}]. */
    failures: jsonb("failures")
      .$type<{ ticketId: string; number: number | null; code: string; message: string }[]>()
      .notNull()
      .default(sql`'[]'::jsonb`),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    foreignKey({ columns: [t.orgId, t.actorId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);
