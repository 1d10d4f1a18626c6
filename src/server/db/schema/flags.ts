import { boolean, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { orgs } from "./orgs";

/** A feature flag: org null is the global default, an org row overrides it for that org. */
export const featureFlags = pgTable(
  "feature_flags",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    key: text("key").notNull(),
    enabled: boolean("enabled").notNull(),
    orgId: uuid("org_id").references(() => orgs.id, { onDelete: "cascade" }),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [unique("feature_flags_org_key").on(t.orgId, t.key).nullsNotDistinct()],
);
