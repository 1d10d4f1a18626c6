import { foreignKey, index, integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { orgs } from "./orgs";
import { users } from "./users";

/**
 * A creating request's Idempotency-Key and the response it got (issue 20, decision 043): written
 * in the transaction of the write it answers, so a committed write always has its key. Keys are
 * per org and per user; a row is honoured for 24 hours and then swept by the worker.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    userId: uuid("user_id").notNull(),
    key: text("key").notNull(),
    /** sha256 of method, path and body: the same key with another request is refused (422). */
    fingerprint: text("fingerprint").notNull(),
    /** The operation that answered, for operators reading the table. */
    operationId: text("operation_id").notNull(),
    status: integer("status").notNull(),
    /** The response's headers worth replaying (Content-Type, ETag), as JSON. */
    headers: text("headers").notNull(),
    /** The response body, sealed (src/server/auth/secret-box.ts): it may carry a new token or secret. */
    body: text("body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.userId, t.key] }),
    foreignKey({ columns: [t.orgId, t.userId], foreignColumns: [users.orgId, users.id] }).onDelete("cascade"),
    index("idempotency_keys_created_at_idx").on(t.createdAt),
  ],
);
