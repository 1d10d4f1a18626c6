import { z } from "zod";
import { TICKET_PRIORITIES, TICKET_STATUSES } from "../../db/schema/enums";
import { AppError } from "../../core/errors";
import { zFieldKey } from "../../fields/schemas";

// The column mapping of a CSV import (decision 056), kept in the import's options so a resumed or
// job-run import reads the file the same way. Strict: a misspelt key is an error naming it, not a
// column silently left out.

const Column = z.string().trim().min(1, { message: "must name a column" }).max(200);

export const DATE_FORMATS = ["iso", "YYYY-MM-DD", "DD/MM/YYYY", "MM/DD/YYYY", "DD.MM.YYYY"] as const;

export const ZCsvMapping = z
  .object({
    columns: z
      .object({
        /** The source's ticket id: the id map's key (without one: the row number and a hash of the row). */
        external_id: Column.optional(),
        /** A ticket number to keep where it is free. */
        number: Column.optional(),
        subject: Column,
        /** The first comment's text. */
        description: Column.optional(),
        requester_email: Column,
        requester_name: Column.optional(),
        status: Column.optional(),
        priority: Column.optional(),
        tags: Column.optional(),
        created_at: Column.optional(),
        updated_at: Column.optional(),
        assignee_email: Column.optional(),
        group: Column.optional(),
        /** One row per message: rows with the same external_id are one ticket, each row's text a comment. */
        comment_body: Column.optional(),
        comment_author_email: Column.optional(),
        comment_created_at: Column.optional(),
        /** true/yes/1/internal/private: the comment is internal. */
        comment_internal: Column.optional(),
      })
      .strict(),
    /** Beacon custom field key → column. */
    customFields: z.record(zFieldKey, Column).default({}),
    /** A cell's status text → Beacon status, added to (and over) the built-in English names. */
    statusValues: z.record(z.string().trim().min(1).max(100), z.enum(TICKET_STATUSES)).default({}),
    priorityValues: z.record(z.string().trim().min(1).max(100), z.enum(TICKET_PRIORITIES)).default({}),
    /** The status of a row without one (or with no status column). */
    defaultStatus: z.enum(TICKET_STATUSES).default("open"),
    tagSeparator: z.string().min(1).max(5).default(","),
    /** iso (with or without a time and offset; none is UTC) or a day-first/month-first date, with an optional " HH:mm[:ss]", in UTC. */
    dateFormat: z.enum(DATE_FORMATS).default("iso"),
    delimiter: z.string().length(1).default(","),
    encoding: z.enum(["utf-8", "windows-1252", "latin1"]).default("utf-8"),
  })
  .strict()
  .superRefine((m, ctx) => {
    if ((m.columns.comment_body || m.columns.comment_author_email) && !m.columns.external_id)
      ctx.addIssue({
        code: "custom",
        path: ["columns", "external_id"],
        message: "comment rows need an external_id column: rows with the same id are one ticket",
      });
  });
export type CsvMapping = z.output<typeof ZCsvMapping>;

/** The mapping, or a validation_failed error naming each bad key ("columns.subject: must name a column"). */
export function parseCsvMapping(options: unknown): CsvMapping {
  const r = ZCsvMapping.safeParse(options);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => {
    const where = i.path.map(String).join(".") || "mapping";
    return i.code === "unrecognized_keys" ? `${where}: unknown key ${i.keys.join(", ")}` : `${where}: ${i.message}`;
  });
  throw new AppError("validation_failed", `the CSV column mapping is not valid: ${issues.join("; ")}`, { issues });
}

/** Every column the mapping names, with the key that names it. */
export function mappedColumns(m: CsvMapping): { key: string; column: string }[] {
  return [
    ...Object.entries(m.columns).flatMap(([k, c]) => (c ? [{ key: `columns.${k}`, column: c }] : [])),
    ...Object.entries(m.customFields).map(([k, c]) => ({ key: `customFields.${k}`, column: c })),
  ];
}

/** Refuses a mapping that names a column the file's header lacks, naming the key, the column and the header. */
export function checkHeader(m: CsvMapping, header: string[]): void {
  const have = new Set(header);
  const missing = mappedColumns(m).filter((c) => !have.has(c.column));
  if (!missing.length) return;
  const issues = missing.map((c) => `${c.key}: no column "${c.column}" in the file`);
  throw new AppError(
    "validation_failed",
    `the CSV column mapping names columns the file does not have: ${issues.join("; ")} (its columns: ${header
      .map((h) => JSON.stringify(h))
      .join(", ")})`,
    { issues, header },
  );
}

const STATUS_WORDS: Record<string, (typeof TICKET_STATUSES)[number]> = {
  new: "new",
  open: "open",
  pending: "pending",
  "on hold": "on_hold",
  on_hold: "on_hold",
  hold: "on_hold",
  solved: "solved",
  resolved: "solved",
  closed: "closed",
};
const PRIORITY_WORDS: Record<string, (typeof TICKET_PRIORITIES)[number]> = {
  low: "low",
  normal: "normal",
  medium: "normal",
  high: "high",
  urgent: "urgent",
};

/** A cell's status: the mapping's own values first (exact, then case-insensitive), then the English names; undefined if unknown. */
export function statusOf(m: CsvMapping, cell: string) {
  if (!cell) return m.defaultStatus;
  return lookup(m.statusValues, cell) ?? STATUS_WORDS[cell.toLowerCase()];
}
export function priorityOf(m: CsvMapping, cell: string) {
  if (!cell) return "normal" as const;
  return lookup(m.priorityValues, cell) ?? PRIORITY_WORDS[cell.toLowerCase()];
}
function lookup<T>(table: Record<string, T>, cell: string): T | undefined {
  if (cell in table) return table[cell];
  const lower = cell.toLowerCase();
  return Object.entries(table).find(([k]) => k.toLowerCase() === lower)?.[1];
}

/** A cell's time under the mapping's date format (UTC unless the ISO text says otherwise), or null if it is not one. */
export function dateOf(m: CsvMapping, cell: string): Date | null {
  const s = cell.trim();
  let iso: string;
  if (m.dateFormat === "iso") {
    iso = /^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : /(Z|[+-]\d{2}:?\d{2})$/i.test(s) ? s : `${s}Z`;
    if (!/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(iso)) return null;
    iso = iso.replace(" ", "T");
  } else {
    const m2 = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
    if (!m2) return null;
    const [, a, b, c, hh = "0", mm = "0", ss = "0"] = m2;
    const [y, mo, d] =
      m.dateFormat === "YYYY-MM-DD" ? [a, b, c] : m.dateFormat === "MM/DD/YYYY" ? [c, a, b] : [c, b, a];
    if (y!.length !== 4) return null;
    const pad = (x: string) => x.padStart(2, "0");
    iso = `${y}-${pad(mo!)}-${pad(d!)}T${pad(hh)}:${pad(mm)}:${pad(ss)}Z`;
  }
  const t = new Date(iso);
  // new Date rolls 31/02 over into March: a date that does not read back the same is not one.
  if (Number.isNaN(t.getTime()) || t.getUTCFullYear() < 1970 || t.getUTCFullYear() > 9999) return null;
  if (m.dateFormat !== "iso" && t.toISOString().slice(0, 10) !== iso.slice(0, 10)) return null;
  return t;
}
