import { sql } from "drizzle-orm";
import {
  bigint,
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
import { tickets } from "./tickets";
import { users } from "./users";

// Automation (SPEC §12, issue 13, docs/decisions/036-automation.md). Rule bodies are JSON validated
// by src/server/automation/rule-schemas.ts when saved; the tables only hold them.

/** Event rules: run in the transaction of the ticket write that fired them, in position order. */
export const triggers = pgTable(
  "triggers",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    name: text("name").notNull(),
    position: integer("position").notNull().default(0),
    active: boolean("active").notNull().default(true),
    conditions: jsonb("conditions").$type<{ all: unknown[]; any: unknown[] }>().notNull(),
    actions: jsonb("actions").$type<unknown[]>().notNull(),
    /** The last failure of this rule (skipped, logged, shown on the rule; the write went on). */
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    firedCount: bigint("fired_count", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] }), index("triggers_org_position_idx").on(t.orgId, t.position)],
);

/** Time rules: evaluated by the worker's automation scan when a ticket's anchor time has come. */
export const automations = pgTable(
  "automations",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    name: text("name").notNull(),
    position: integer("position").notNull().default(0),
    active: boolean("active").notNull().default(true),
    conditions: jsonb("conditions").$type<{ all: unknown[]; any: unknown[] }>().notNull(),
    actions: jsonb("actions").$type<unknown[]>().notNull(),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    firedCount: bigint("fired_count", { mode: "number" }).notNull().default(0),
    /** Anchors up to (this - the rule's hours) have been looked at; null = never scanned (first pass catches up). */
    scannedUntil: timestamp("scanned_until", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    // The scan's cross-org entry point reads active rules only (few rows, not tickets).
    index("automations_active_idx")
      .on(t.orgId)
      .where(sql`${t.active}`),
  ],
);

/** "This time rule fired on this ticket for this anchor value": once per ticket per condition window. */
export const automationFirings = pgTable(
  "automation_firings",
  {
    orgId: uuid("org_id").notNull(),
    automationId: uuid("automation_id").notNull(),
    ticketId: uuid("ticket_id").notNull(),
    /** The anchor timestamp the rule's hours were counted from (ISO); a moved anchor is a new window. */
    windowKey: text("window_key").notNull(),
    firedAt: timestamp("fired_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.automationId, t.ticketId, t.windowKey] }),
    foreignKey({ columns: [t.orgId, t.automationId], foreignColumns: [automations.orgId, automations.id] }).onDelete(
      "cascade",
    ),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
  ],
);

/**
 * When each ticket's time anchors were last set (created, status change, last public customer
 * reply, earliest running SLA due), kept by database triggers on tickets and comments (drizzle/0014)
 * so every writer — requests, jobs, auto-close — keeps them without knowing. The (org, anchor, at)
 * index lets a time rule read only the tickets whose time has come.
 */
export const ticketAnchors = pgTable(
  "ticket_anchors",
  {
    orgId: uuid("org_id").notNull(),
    ticketId: uuid("ticket_id").notNull(),
    anchor: text("anchor").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.ticketId, t.anchor] }),
    index("ticket_anchors_due_idx").on(t.orgId, t.anchor, t.at),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
  ],
);

/** Bumped whenever an org's triggers change: the compiled rule set is cached per (org, version). */
export const automationVersions = pgTable("automation_versions", {
  orgId: uuid("org_id")
    .primaryKey()
    .references(() => orgs.id, { onDelete: "cascade" }),
  version: bigint("version", { mode: "number" }).notNull().default(1),
});

/** Agent groups (teams). */
export const groups = pgTable(
  "groups",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    name: text("name").notNull(),
    /** Round-robin pointer: the member last given a ticket (the group row is locked while it moves). */
    roundRobinLastUserId: uuid("round_robin_last_user_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("groups_org_name_key").on(t.orgId, sql`lower(${t.name})`),
  ],
);

export const groupMembers = pgTable(
  "group_members",
  {
    orgId: uuid("org_id").notNull(),
    groupId: uuid("group_id").notNull(),
    userId: uuid("user_id").notNull(),
    /** Away agents stay members but get no new tickets from assignment rules. */
    away: boolean("away").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.groupId, t.userId] }),
    index("group_members_user_idx").on(t.orgId, t.userId),
    foreignKey({ columns: [t.orgId, t.groupId], foreignColumns: [groups.orgId, groups.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);

/** Canned replies with field actions; ownerId null = shared with every agent of the org. */
export const macros = pgTable(
  "macros",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    name: text("name").notNull(),
    ownerId: uuid("owner_id"),
    reply: text("reply"),
    actions: jsonb("actions").$type<unknown[]>().notNull().default([]),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("macros_org_owner_idx").on(t.orgId, t.ownerId),
    foreignKey({ columns: [t.orgId, t.ownerId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);
