import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  customType,
  foreignKey,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { orgs } from "./orgs";
import { comments, tickets } from "./tickets";

// The email channel (SPEC §11, docs/decisions/029-email-inbound-core.md).

/** The authentication verdicts of an inbound message (decision 035); `checked: false` when there was nothing to check against. */
export type MailAuthResult = {
  checked: boolean;
  spf: string;
  dkim: string;
  dmarc: string;
  dmarcPolicy?: string;
  fromDomain?: string;
};

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "bytea" });

export const inboundSource = pgEnum("inbound_source", ["smtp", "imap", "webhook"]);
export const inboundStatus = pgEnum("inbound_status", ["received", "applied", "dropped", "failed", "held", "rejected"]);
export const messageIdDirection = pgEnum("message_id_direction", ["inbound", "outbound"]);

/** An org's support address. A recipient decides the org, so an address belongs to one org only. */
export const emailAddresses = pgTable(
  "email_addresses",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    address: text("address").notNull(),
    displayName: text("display_name").notNull().default(""),
    isDefault: boolean("is_default").notNull().default(false),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    // Unique across orgs on purpose (SPEC §11): intake looks the org up by the recipient. A unique
    // index without org_id cannot exist on a table distributed by org_id (Citus, docs/scaling.md),
    // so the global uniqueness lives in email_address_claims (kept by a trigger, migration 0023)
    // and this table has the per-org unique key and a plain index for the intake's lookup.
    uniqueIndex("email_addresses_org_address_key").on(t.orgId, sql`lower(${t.address})`),
    index("email_addresses_address_idx").on(sql`lower(${t.address})`),
  ],
);

/**
 * One row per support address in use, across orgs: its primary key is what makes an address
 * belong to one org only (docs/decisions/048). No org_id and no grants to the app roles: written
 * only by email_addresses' trigger (security definer), never read by requests. On Citus, a
 * reference table.
 */
export const emailAddressClaims = pgTable("email_address_claims", {
  address: text("address").primaryKey(),
  emailAddressId: uuid("email_address_id").notNull(),
});

/**
 * Every message that came in, raw, committed before the sender hears 250. The apply job parses it;
 * dedupeKey (the Message-ID, or sha256 of the bytes when it has none) makes a redelivery a no-op.
 */
export const inboundMessages = pgTable(
  "inbound_messages",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    source: inboundSource("source").notNull(),
    dedupeKey: text("dedupe_key").notNull(),
    messageId: text("message_id"),
    sha256: text("sha256").notNull(),
    raw: bytea("raw").notNull(),
    sizeBytes: integer("size_bytes").notNull(),
    mailFrom: text("mail_from"),
    rcptTo: text("rcpt_to").notNull(),
    status: inboundStatus("status").notNull().default("received"),
    /** ticket | reply | dropped-loop | dropped-auto | … (set by the apply job). */
    outcome: text("outcome"),
    reason: text("reason"),
    error: text("error"),
    ticketId: uuid("ticket_id"),
    commentId: uuid("comment_id"),
    /** The header From, set by the apply job: the per-sender hourly ticket cap counts by it (decision 035). */
    fromAddress: text("from_address"),
    /** The SMTP client as the receiver saw it, so SPF can be evaluated by the apply job (null for IMAP and webhook mail). */
    clientIp: text("client_ip"),
    helo: text("helo"),
    /** SPF/DKIM/DMARC results (mailauth), or { checked: false } when the source gives nothing to check. */
    auth: jsonb("auth").$type<MailAuthResult>(),
    receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
    appliedAt: timestamp("applied_at", { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("inbound_messages_org_dedupe_key").on(t.orgId, t.dedupeKey),
    index("inbound_messages_org_received_idx").on(t.orgId, t.receivedAt),
    index("inbound_messages_org_sender_tickets_idx")
      .on(t.orgId, t.fromAddress, t.appliedAt)
      .where(sql`${t.outcome} = 'ticket'`),
  ],
);

/** Message-IDs Beacon stored (inbound) or sent (outbound), for In-Reply-To / References threading. */
export const emailMessageIds = pgTable(
  "email_message_ids",
  {
    orgId: uuid("org_id").notNull(),
    messageId: text("message_id").notNull(),
    ticketId: uuid("ticket_id").notNull(),
    commentId: uuid("comment_id"),
    direction: messageIdDirection("direction").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.messageId] }),
    // Loop detection asks "did any org send this Message-ID?" (the system path).
    index("email_message_ids_outbound_idx")
      .on(t.messageId)
      .where(sql`${t.direction} = 'outbound'`),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
    foreignKey({ columns: [t.orgId, t.commentId], foreignColumns: [comments.orgId, comments.id] }).onDelete("cascade"),
  ],
);

/** People copied on a ticket: they receive public replies and may reply. */
export const ticketCcs = pgTable(
  "ticket_ccs",
  {
    orgId: uuid("org_id").notNull(),
    ticketId: uuid("ticket_id").notNull(),
    email: text("email").notNull(),
    /** A delivery report said mail to this CC failed for good (decision 035). */
    bouncingAt: timestamp("bouncing_at", { withTimezone: true }),
    bouncingReason: text("bouncing_reason"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.ticketId, t.email] }),
    foreignKey({ columns: [t.orgId, t.ticketId], foreignColumns: [tickets.orgId, tickets.id] }).onDelete("cascade"),
    // Mail from an address clears its bouncing marks (clearBouncingCtes, every inbound message):
    // without this the primary key's org_id prefix walked every CC row of the org. Few rows bounce,
    // so the index stays small (drizzle/0029).
    index("ticket_ccs_org_email_bouncing_idx")
      .on(t.orgId, t.email)
      .where(sql`bouncing_at is not null`),
  ],
);

export const imapTlsMode = pgEnum("imap_tls_mode", ["tls", "starttls", "none"]);
export const imapAfterImport = pgEnum("imap_after_import", ["mark_seen", "move"]);

/**
 * An existing mailbox the worker fetches for an org (decision 034): mail in it is delivered for one
 * support address. The password is sealed (src/server/auth/secret-box.ts); uidValidity + lastUid are
 * where the fetcher resumes; leaseOwner/leaseUntil keep one connection per mailbox across workers.
 */
export const emailMailboxes = pgTable(
  "email_mailboxes",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    addressId: uuid("address_id").notNull(),
    host: text("host").notNull(),
    port: integer("port").notNull(),
    tlsMode: imapTlsMode("tls_mode").notNull(),
    username: text("username").notNull(),
    passwordSealed: text("password_sealed").notNull(),
    folder: text("folder").notNull().default("INBOX"),
    afterImport: imapAfterImport("after_import").notNull().default("mark_seen"),
    moveTo: text("move_to"),
    enabled: boolean("enabled").notNull().default(true),
    uidValidity: bigint("uid_validity", { mode: "number" }),
    lastUid: bigint("last_uid", { mode: "number" }).notNull().default(0),
    lastFetchedAt: timestamp("last_fetched_at", { withTimezone: true }),
    lastError: text("last_error"),
    lastErrorAt: timestamp("last_error_at", { withTimezone: true }),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    nextAttemptAt: timestamp("next_attempt_at", { withTimezone: true }),
    leaseOwner: text("lease_owner"),
    leaseUntil: timestamp("lease_until", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    foreignKey({ columns: [t.orgId, t.addressId], foreignColumns: [emailAddresses.orgId, emailAddresses.id] }).onDelete(
      "cascade",
    ),
    uniqueIndex("email_mailboxes_org_account_key").on(t.orgId, sql`lower(${t.host})`, t.port, t.username, t.folder),
  ],
);

/**
 * The org's secret for the provider webhook (POST /api/v1/email/inbound, decision 039): only its
 * SHA-256 is stored (the secret is 256 random bits, so a plain hash cannot be reversed), and its
 * last characters so an admin can tell which one a provider has.
 */
export const emailInboundSecrets = pgTable("email_inbound_secrets", {
  orgId: uuid("org_id")
    .primaryKey()
    .references(() => orgs.id, { onDelete: "cascade" }),
  secretSha256: text("secret_sha256").notNull(),
  hint: text("hint").notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});

export const emailTemplateKind = pgEnum("email_template_kind", ["acknowledgement", "solved", "merged"]);

/**
 * An org's customer-facing email templates (decision 040): the acknowledgement of a ticket opened by
 * email and the message on solve. No row: the built-in default (src/server/email/templates.ts) applies.
 */
export const emailTemplates = pgTable(
  "email_templates",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    kind: emailTemplateKind("kind").notNull(),
    enabled: boolean("enabled").notNull(),
    subject: text("subject").notNull(),
    body: text("body").notNull(),
    updatedBy: uuid("updated_by"),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.kind] })],
);
