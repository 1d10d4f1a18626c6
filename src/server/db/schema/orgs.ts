import { sql } from "drizzle-orm";
import { bigint, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

export type OrgSettings = {
  /** Minutes before a due date at which a running SLA metric is flagged "warning". */
  slaWarningMinutes: number;
  /** Admins may require two-factor sign-in for agents and admins (account security issue). */
  require2fa?: boolean;
  /** Longest lifetime of an API token in days (1–366, default 366); older tokens end at createdAt + this. */
  tokenMaxDays?: number;
  /** API tokens without an expiry are allowed (off by default: such tokens end at createdAt + tokenMaxDays). */
  allowNonExpiringTokens?: boolean;
  /** Customers see their tickets' SLA targets and due times (API and portal); off by default. */
  showSlaToCustomers?: boolean;
  /** New tickets one sender may open by email per hour; more are held, not lost (default 20, decision 035). */
  inboundTicketsPerSenderPerHour?: number;
  /** Sender domains whose mail is refused when it fails DMARC: nobody can post as them by forging From (decision 035). */
  dmarcRefuseDomains?: string[];
  /** Who may open a new ticket by email: anyone (default), known users of the org, or senders of some domains (decision 039). */
  inboundOpenPolicy?: "anyone" | "known" | "domains";
  /** The domains (and their subdomains) whose senders may open tickets by email when inboundOpenPolicy is "domains". */
  inboundOpenDomains?: string[];
};

// The tenant itself. Row-level security lets a request see only its own org row.
export const orgs = pgTable(
  "orgs",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    name: text("name").notNull(),
    slug: text("slug").notNull(),
    timezone: text("timezone").notNull().default("UTC"),
    settings: jsonb("settings").$type<OrgSettings>().notNull().default({ slaWarningMinutes: 15 }),
    /** Last ticket number handed out; bumped under a row lock so numbers are gap-free per org. */
    ticketSeq: integer("ticket_seq").notNull().default(0),
    /**
     * Bumped by the database whenever what writes cache of the org changes (its settings and name,
     * its SLA policies and calendars; drizzle/0022, decision 047): a cached copy is current while it matches.
     */
    configVersion: bigint("config_version", { mode: "number" }).notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("orgs_slug_key").on(sql`lower(${t.slug})`)],
);
