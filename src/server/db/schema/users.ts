import { sql } from "drizzle-orm";
import {
  boolean,
  foreignKey,
  index,
  integer,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { oneTimeTokenPurpose, userRole } from "./enums";
import { orgs } from "./orgs";

export const users = pgTable(
  "users",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: userRole("role").notNull(),
    passwordHash: text("password_hash"),
    blockedAt: timestamp("blocked_at", { withTimezone: true }),
    /** A delivery report said mail to this address failed for good (decision 035); cleared when they write in. */
    emailBouncingAt: timestamp("email_bouncing_at", { withTimezone: true }),
    emailBouncingReason: text("email_bouncing_reason"),
    /** Bumped to revoke every session and API token of the user at once. */
    sessionVersion: integer("session_version").notNull().default(1),
    mustChangePassword: boolean("must_change_password").notNull().default(false),
    /** The TOTP secret, encrypted (src/server/auth/secret-box.ts); pending until totpEnabledAt is set. */
    totpSecret: text("totp_secret"),
    totpEnabledAt: timestamp("totp_enabled_at", { withTimezone: true }),
    /** The last accepted TOTP time step: a code is accepted once (RFC 6238 §5.2). */
    totpLastStep: integer("totp_last_step"),
    lastSignInAt: timestamp("last_sign_in_at", { withTimezone: true }),
    /** The ETag of the user (decision 043): bumped by every change an admin can see. */
    version: integer("version").notNull().default(1),
    /**
     * A customer's company when it was given (an import's company link, decision 062); null: the
     * company is the one that owns the email's domain (decision 051). Foreign key (org_id,
     * customer_org_id) → customer_orgs ON DELETE SET NULL (customer_org_id), in SQL (drizzle/0028).
     */
    customerOrgId: uuid("customer_org_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    index("users_org_customer_org_idx")
      .on(t.orgId, t.customerOrgId)
      .where(sql`${t.customerOrgId} is not null`),
    uniqueIndex("users_org_email_key").on(t.orgId, sql`lower(${t.email})`),
    // Sign-in looks a user up by email before the org is known (the one cross-org auth path).
    index("users_email_idx").on(sql`lower(${t.email})`),
    index("users_org_role_idx").on(t.orgId, t.role),
  ],
);

export const apiTokens = pgTable(
  "api_tokens",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    userId: uuid("user_id").notNull(),
    name: text("name").notNull(),
    /** sha256 of the whole token; the token itself is shown once and never stored. */
    tokenHash: text("token_hash").notNull(),
    /** The user's sessionVersion when issued: a bump kills the token. */
    sessionVersion: integer("session_version").notNull(),
    lastUsedAt: timestamp("last_used_at", { withTimezone: true }),
    expiresAt: timestamp("expires_at", { withTimezone: true }),
    revokedAt: timestamp("revoked_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("api_tokens_hash_key").on(t.orgId, t.tokenHash),
    index("api_tokens_user_idx").on(t.orgId, t.userId),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);

/** Setup links (bootstrap), invitations and password resets: single use, hashed, expiring. */
export const oneTimeTokens = pgTable(
  "one_time_tokens",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    userId: uuid("user_id").notNull(),
    purpose: oneTimeTokenPurpose("purpose").notNull(),
    tokenHash: text("token_hash").notNull(),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("one_time_tokens_hash_key").on(t.orgId, t.tokenHash),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);

/** Two-factor recovery codes: sha256 of each (the codes are shown once), each usable once. */
export const recoveryCodes = pgTable(
  "recovery_codes",
  {
    orgId: uuid("org_id").notNull(),
    id: uuid("id").notNull().defaultRandom(),
    userId: uuid("user_id").notNull(),
    codeHash: text("code_hash").notNull(),
    usedAt: timestamp("used_at", { withTimezone: true }),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.id] }),
    uniqueIndex("recovery_codes_user_hash_key").on(t.orgId, t.userId, t.codeHash),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
  ],
);
