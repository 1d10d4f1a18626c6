import { sql } from "drizzle-orm";
import {
  check,
  foreignKey,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { groups } from "./automation";
import { orgs } from "./orgs";
import { tickets } from "./tickets";
import { users } from "./users";

// Merge and link, customer context and satisfaction ratings (issue 14 items 4, 6, 7; SPEC §13;
// docs/decisions/051-merge-customer-context-csat.md). Every table is a tenant table: org_id in the
// key, row-level security in drizzle/0025.

/**
 * Two related tickets ("see also"), stored once with the smaller id first so a pair cannot be
 * linked twice in opposite directions; both tickets show the link.
 */
export const ticketLinks = pgTable(
  "ticket_links",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    ticketA: uuid("ticket_a").notNull(),
    ticketB: uuid("ticket_b").notNull(),
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.ticketA, t.ticketB] }),
    index("ticket_links_org_b_idx").on(t.orgId, t.ticketB),
    check("ticket_links_ordered", sql`${t.ticketA} < ${t.ticketB}`),
    foreignKey({ columns: [t.orgId, t.ticketA], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.ticketB], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
  ],
);

/** A customer company. A requester whose email domain is one of its domains belongs to it. */
export const customerOrgs = pgTable(
  "customer_orgs",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    name: text("name").notNull(),
    /** Staff-only notes about the company. */
    notes: text("notes").notNull().default(""),
    version: integer("version").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("customer_orgs_org_name_key").on(t.orgId, sql`lower(${t.name})`),
  ],
);

/** The email domains of a customer company: one domain belongs to at most one company of an org. */
export const customerOrgDomains = pgTable(
  "customer_org_domains",
  {
    orgId: uuid("org_id").notNull(),
    domain: text("domain").notNull(),
    customerOrgId: uuid("customer_org_id").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.domain] }),
    index("customer_org_domains_company_idx").on(t.orgId, t.customerOrgId),
    check("customer_org_domains_lower", sql`${t.domain} = lower(${t.domain})`),
    foreignKey({ columns: [t.orgId, t.customerOrgId], foreignColumns: [customerOrgs.orgId, customerOrgs.id] }).onDelete(
      "cascade",
    ),
  ],
);

/** A staff-only note about a customer (a person), shown beside their tickets. */
export const customerNotes = pgTable(
  "customer_notes",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    customerId: uuid("customer_id").notNull(),
    authorId: uuid("author_id"),
    body: text("body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("customer_notes_customer_idx").on(t.orgId, t.customerId, t.createdAt),
    foreignKey({ columns: [t.orgId, t.customerId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);

export const csatRating = pgEnum("csat_rating", ["good", "bad"]);

/**
 * A requester's rating of a solved ticket: one per ticket (the latest), with who solved it then
 * (assignee and group), so the dashboard counts by agent and group. `changes` counts how often it
 * was set: a rating link names the count it was issued at, so each link changes the rating once.
 */
export const csatRatings = pgTable(
  "csat_ratings",
  {
    orgId: uuid("org_id").notNull(),
    ticketId: uuid("ticket_id").notNull(),
    rating: csatRating("rating").notNull(),
    comment: text("comment").notNull().default(""),
    requesterId: uuid("requester_id").notNull(),
    assigneeId: uuid("assignee_id"),
    groupId: uuid("group_id"),
    changes: integer("changes").notNull().default(1),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.ticketId] }),
    index("csat_ratings_org_updated_idx").on(t.orgId, t.updatedAt),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.groupId], foreignColumns: [groups.orgId, groups.id] }).onDelete("set null"),
  ],
);
