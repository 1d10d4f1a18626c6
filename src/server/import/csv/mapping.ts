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
        /**
         * URLs of files attached to the row's comment (its ticket's first comment, or the row's
         * message), separated by attachmentSeparator; each fetched like a Zendesk or Freshdesk
         * attachment (the outbound guard, the upload byte limit, the content inspector).
         */
        attachments: Column.optional(),
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
    /** iso (with or without a time and offset) or a day-first/month-first date, with an optional " HH:mm[:ss]". */
    dateFormat: z.enum(DATE_FORMATS).default("iso"),
    /**
     * The IANA time zone ("Europe/Berlin") a date without an offset is read in; one with an offset
     * (ISO's Z or +02:00) keeps it. A wall time the zone skips (a daylight-saving gap) is a bad date.
     */
    timeZone: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .refine(isTimeZone, { message: 'must be an IANA time zone name such as "Europe/Berlin" or "UTC"' })
      .default("UTC"),
    /** Between the URLs of an attachments cell: whitespace (spaces, line breaks) unless set, e.g. "|" or ";". */
    attachmentSeparator: z.string().min(1).max(5).optional(),
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

/**
 * A cell's time under the mapping's date format, or why it is not one. A time with an offset
 * (ISO's Z or ±hh:mm) is that instant; one without is a wall time in the mapping's time zone.
 */
export function dateOf(m: Pick<CsvMapping, "dateFormat" | "timeZone">, cell: string): Date | { bad: string } {
  const s = cell.trim();
  const notOne = { bad: `is not a ${m.dateFormat} date` };
  let wall: { y: string; mo: string; d: string; hh: string; mm: string; ss: string; frac: string };
  if (m.dateFormat === "iso") {
    const iso =
      /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i.exec(
        s,
      );
    if (!iso) return notOne;
    const [, y, mo, d, hh = "00", mm = "00", ss = "00", frac = "", offset] = iso;
    if (offset) {
      if (iso[4] === undefined) return notOne;
      const t = new Date(`${y}-${mo}-${d}T${hh}:${mm}:${ss}${frac}${normalOffset(offset)}`);
      if (!inRange(t) || !sameDay(Date.UTC(+y!, +mo! - 1, +d!), { y: y!, mo: mo!, d: d! })) return notOne;
      return t;
    }
    wall = { y: y!, mo: mo!, d: d!, hh, mm, ss, frac };
  } else {
    const m2 = /^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
    if (!m2) return notOne;
    const [, a, b, c, hh = "0", mm = "0", ss = "0"] = m2;
    const [y, mo, d] =
      m.dateFormat === "YYYY-MM-DD" ? [a, b, c] : m.dateFormat === "MM/DD/YYYY" ? [c, a, b] : [c, b, a];
    if (y!.length !== 4) return notOne;
    wall = { y: y!, mo: mo!, d: d!, hh, mm, ss, frac: "" };
  }
  const [y, mo, d, hh, mm, ss] = [wall.y, wall.mo, wall.d, wall.hh, wall.mm, wall.ss].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (hh > 23 || mm > 59 || ss > 59) return notOne;
  const ms = wall.frac ? Math.round(Number(`0${wall.frac}`) * 1000) : 0;
  const asUtc = Date.UTC(y, mo - 1, d, hh, mm, ss, ms);
  // Date.UTC rolls 31/02 over into March: a date that does not read back the same is not one.
  if (!sameDay(asUtc, wall)) return notOne;
  const t = zonedTime(asUtc, m.timeZone);
  if (t === null) return { bad: `does not exist in ${m.timeZone} (the clocks skip it)` };
  return inRange(new Date(t)) ? new Date(t) : notOne;
}

const normalOffset = (o: string) =>
  o.toUpperCase() === "Z" ? "Z" : o.length === 3 ? `${o}:00` : o.includes(":") ? o : `${o.slice(0, 3)}:${o.slice(3)}`;
const inRange = (t: Date) => !Number.isNaN(t.getTime()) && t.getUTCFullYear() >= 1970 && t.getUTCFullYear() <= 9999;
const sameDay = (ms: number, w: { y: string; mo: string; d: string }) => {
  const t = new Date(ms);
  return t.getUTCFullYear() === +w.y && t.getUTCMonth() + 1 === +w.mo && t.getUTCDate() === +w.d;
};

/** Whether the runtime knows the IANA zone name. */
export function isTimeZone(name: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

const zoneFormats = new Map<string, Intl.DateTimeFormat>();
/** The zone's wall clock at an instant, as if it were UTC (milliseconds), from Intl's time zone data. */
function wallClockAt(ms: number, zone: string): number {
  let f = zoneFormats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    zoneFormats.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== "literal") p[part.type] = Number(part.value);
  return Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!, ((ms % 1000) + 1000) % 1000);
}

/**
 * The instant whose wall clock in `zone` reads `wall` (a wall time written as UTC milliseconds),
 * or null if the zone skips it. A wall time the zone has twice (clocks going back) is the first.
 * Zones change their offset at most once a day, so the offsets a day before and after are the candidates.
 */
export function zonedTime(wall: number, zone: string): number | null {
  const day = 24 * 60 * 60 * 1000;
  const candidates = [
    wall - (wallClockAt(wall - day, zone) - (wall - day)),
    wall - (wallClockAt(wall + day, zone) - (wall + day)),
  ];
  const fits = candidates.filter((t) => wallClockAt(t, zone) === wall);
  return fits.length ? Math.min(...fits) : null;
}
