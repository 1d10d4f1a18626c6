import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per running job worker, beaten every 15 s and deleted when the worker stops (issue 21).
 * Not tenant data: /api/health reads it to say whether any worker is alive.
 */
export const workerHeartbeats = pgTable(
  "worker_heartbeats",
  {
    id: text("id").primaryKey(),
    host: text("host").notNull(),
    pid: integer("pid").notNull(),
    startedAt: timestamp("started_at", { withTimezone: true }).notNull().defaultNow(),
    beatAt: timestamp("beat_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("worker_heartbeats_beat_at_idx").on(t.beatAt)],
);
