import { bigint, index, jsonb, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { orgs } from "./orgs";

// Append-only, hash-chained per org: hash = sha256(prevHash || canonical JSON of the event).
// The app role has no UPDATE or DELETE on this table.
export const auditEvents = pgTable(
  "audit_events",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    seq: bigint("seq", { mode: "number" }).notNull(),
    actorId: uuid("actor_id"),
    action: text("action").notNull(),
    entityType: text("entity_type").notNull(),
    entityId: text("entity_id"),
    data: jsonb("data").$type<Record<string, unknown>>().notNull().default({}),
    requestId: text("request_id"),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
    at: timestamp("at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.seq] }),
    index("audit_events_entity_idx").on(t.orgId, t.entityType, t.entityId, t.seq),
  ],
);

/**
 * The head of each org's audit chain (decision 047): the last seq and hash. recordAudit appends an
 * event by updating this row and inserting the event in one statement; the row lock (taken by the
 * update, which re-reads the latest committed head after waiting) serializes one org's writers in
 * place of the advisory lock and the separate read of the last event.
 */
export const auditHeads = pgTable("audit_heads", {
  orgId: uuid("org_id")
    .primaryKey()
    .references(() => orgs.id, { onDelete: "cascade" }),
  seq: bigint("seq", { mode: "number" }).notNull(),
  hash: text("hash").notNull(),
  /** The hash before the last append (that event's prev_hash), so the append's one statement can store it. */
  prevHash: text("prev_hash").notNull(),
});
