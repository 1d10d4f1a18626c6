import { sql } from "drizzle-orm";
import { bigint, index, jsonb, pgEnum, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { orgs } from "./orgs";

// Moving in from another helpdesk (issue 17, docs/decisions/053-import-foundation.md). Both tables
// are tenant tables: org_id in the key, row-level security in drizzle/0026.

export const importSourceKind = pgEnum("import_source_kind", ["zendesk", "freshdesk", "csv", "beacon"]);
export const importState = pgEnum("import_state", ["queued", "running", "done", "failed", "cancelled"]);
export const IMPORT_SOURCE_KINDS = importSourceKind.enumValues;
export type ImportSourceKind = (typeof IMPORT_SOURCE_KINDS)[number];
export type ImportState = (typeof importState.enumValues)[number];

/** Per record type: how many the source held, how many were written now, already there, or skipped (by reason). */
export type ImportKindCounts = {
  source: number;
  imported: number;
  /** Mapped by an earlier run of any import of the org: not written again. */
  existing: number;
  /** Taken by a Beacon record that was already there (a user with the same email, a company with the same name). */
  matched: number;
  skipped: Record<string, number>;
  /** For files: bytes the source declared, and bytes stored. */
  bytes?: { source: number; imported: number };
  /** What was done that is not a skip, e.g. users without an email given a placeholder address. */
  notes?: Record<string, number>;
};
export type ImportCounts = Record<string, ImportKindCounts>;
/** Where a resumed run starts: per input file, how many of its records are committed. */
export type ImportCheckpoint = { files: Record<string, number> };
/** What the check report adds to the counts: a bounded sample of the skipped records, with why. */
/** A sampled ticket: what the source said, and (once the run has finished) what Beacon holds, field by field. */
export type ImportSampleTicket = {
  sourceId: string;
  ticketId: string;
  source: Record<string, unknown>;
  compared?: Record<string, { source: unknown; beacon: unknown; equal: boolean }>;
};
export type ImportReport = {
  skippedSample: { type: string; sourceId: string | null; file: string; record: number; reason: string }[];
  /** The first tickets imported, compared field by field with what was written when the run ends. */
  ticketSample?: ImportSampleTicket[];
};

/** One import run of one org: its source, where it stands, and what it did. */
export const imports = pgTable(
  "imports",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    id: uuid("id").notNull().defaultRandom(),
    sourceKind: importSourceKind("source_kind").notNull(),
    state: importState("state").notNull().default("running"),
    /** What was imported, as given (a path or an upload's name), for the report and a resume. */
    source: text("source").notNull(),
    checkpoint: jsonb("checkpoint")
      .$type<ImportCheckpoint>()
      .notNull()
      .default(sql`'{"files":{}}'::jsonb`),
    counts: jsonb("counts")
      .$type<ImportCounts>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    report: jsonb("report")
      .$type<ImportReport>()
      .notNull()
      .default(sql`'{"skippedSample":[]}'::jsonb`),
    /** What the source kind's runner needs besides the export itself (a CSV's column mapping). */
    options: jsonb("options")
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    /** An export uploaded over HTTP: where its bytes are stored until the import is done (null for the CLI's local path). */
    inputKey: text("input_key"),
    /** The uploaded export's size in bytes. */
    inputBytes: bigint("input_bytes", { mode: "number" }),
    /**
     * An admin asked to cancel it (POST /imports/{id}/cancel): the run stops at its next batch
     * boundary and the import becomes `cancelled`, keeping the batches it committed (decision 062).
     */
    cancelRequestedAt: timestamp("cancel_requested_at", { withTimezone: true }),
    /** Why a failed import stopped (the last error), so a resume can be judged. */
    error: text("error"),
    /** The admin who started it, or null for the operator CLI (no foreign key: a removed user leaves the record). */
    createdBy: uuid("created_by"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp("finished_at", { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.id] }), index("imports_org_created_idx").on(t.orgId, t.createdAt)],
);

/**
 * Source id → Beacon id, per org and source kind, across imports: a second or resumed run looks a
 * record up here and writes it only if it is not yet mapped, so each source record lands once.
 */
export const importIdMap = pgTable(
  "import_id_map",
  {
    orgId: uuid("org_id")
      .notNull()
      .references(() => orgs.id, { onDelete: "cascade" }),
    sourceKind: importSourceKind("source_kind").notNull(),
    /** user, organization, ticket, comment … */
    sourceType: text("source_type").notNull(),
    sourceId: text("source_id").notNull(),
    beaconId: uuid("beacon_id").notNull(),
    /** The import that wrote it (null once that import is deleted). */
    importId: uuid("import_id"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.orgId, t.sourceKind, t.sourceType, t.sourceId] }),
    // The way back (which source record is this ticket?) for the check report and a re-export.
    index("import_id_map_beacon_idx").on(t.orgId, t.sourceKind, t.sourceType, t.beaconId),
  ],
);
