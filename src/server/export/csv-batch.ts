import "server-only";
import { sql, type SQL } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import { csatRatings } from "../db/schema/customers";
import type { Tx } from "../db/tenant";
import { csvCell, csvRow } from "./csv";
import {
  isoFromUtcJson,
  keysetOrder,
  keysetWhere,
  positionOf,
  utcJson,
  type BatchOptions,
  type Position,
} from "./ticket-batches";
import { ByteWriter } from "./byte-writer";
import { streamTextRows, type TextRow } from "./text-rows";
import type { UserEmails } from "./user-emails";

const CSV_COLUMNS = [
  "id",
  "number",
  "subject",
  "status",
  "priority",
  "requesterId",
  "requesterEmail",
  "assigneeId",
  "assigneeEmail",
  "tags",
  "createdAt",
  "updatedAt",
  "firstResponseDue",
  "firstResponseAt",
  "resolveDue",
  "resolvedAt",
  "closedAt",
  "satisfaction",
];
export const CSV_HEADER = csvRow(CSV_COLUMNS);

/** The header with one `cf.<key>` column per custom field of the org, after the fixed columns (decision 050). */
export const csvHeader = (fieldKeys: readonly string[]) => csvRow([...CSV_COLUMNS, ...fieldKeys.map((k) => `cf.${k}`)]);

/** A custom field value as one CSV cell: a multiselect's options joined by "; ". */
const fieldCell = (v: unknown): string | number | null =>
  v === undefined || v === null ? null : typeof v === "number" ? v : Array.isArray(v) ? v.join("; ") : String(v);

const TIMESTAMPS = [
  tickets.createdAt,
  tickets.updatedAt,
  tickets.firstResponseDue,
  tickets.firstResponseAt,
  tickets.resolveDue,
  tickets.resolvedAt,
  tickets.closedAt,
];

/**
 * The CSV export's batch: the keyset walk of ticketBatchQuery, each ticket as few text values as
 * the CSV needs. Values that never need quoting or the formula defence (UUIDs, the number, enum
 * labels) arrive joined by commas; free text (subject, tags) arrives alone for csvCell; the seven
 * timestamps (the CSV's last columns) arrive as one string of utcJson values joined by commas,
 * empty for null. Emails come from UserEmails, not from a join. Column order is writeRecord's.
 */
export function csvBatchQuery(orgId: string, opts: BatchOptions): SQL {
  return sql`select ${tickets.id}::text || ',' || ${tickets.number}::text, ${tickets.subject},
      ${tickets.status}::text || ',' || ${tickets.priority}::text, ${tickets.requesterId},
      ${tickets.assigneeId}, array_to_string(${tickets.tags}, ' '),
      concat_ws(',', ${sql.join(
        TIMESTAMPS.map((c) => sql`coalesce(${utcJson(c)}, '')`),
        sql`, `,
      )}),
      (select ${csatRatings.rating}::text from ${csatRatings} where ${csatRatings.orgId} = ${tickets.orgId} and ${csatRatings.ticketId} = ${tickets.id}),
      nullif(${tickets.customFields}, '{}'::jsonb)::text
    from ${tickets}
    where ${keysetWhere(orgId, opts)}
    order by ${keysetOrder}
    limit ${opts.limit}`;
}

const COMMA = 44,
  CR = 13,
  LF = 10;

/** The seven timestamps, utcJson values joined by commas (empty for null), as ISO. */
function writeTimestamps(out: ByteWriter, tail: string) {
  const n = tail.length;
  for (let i = 0, field = 0; i <= n; field++) {
    if (field > 0) out.byte(COMMA);
    const comma = tail.indexOf(",", i);
    const end = comma === -1 ? n : comma;
    if (end > i && !out.isoFromUtcJson(tail, i, end)) out.text(isoFromUtcJson(tail.slice(i, end)));
    i = end + 1;
  }
}

function writeRecord(
  out: ByteWriter,
  r: TextRow,
  requesterEmail: string | null,
  assigneeEmail: string | null,
  fieldKeys: readonly string[],
) {
  out.ascii(r[0]!); // id,number
  out.byte(COMMA);
  out.text(csvCell(r[1])); // subject
  out.byte(COMMA);
  out.ascii(r[2]!); // status,priority
  out.byte(COMMA);
  out.ascii(r[3]!); // requesterId
  out.byte(COMMA);
  out.text(csvCell(requesterEmail));
  out.byte(COMMA);
  out.ascii(r[4] ?? ""); // assigneeId
  out.byte(COMMA);
  out.text(csvCell(assigneeEmail));
  out.byte(COMMA);
  out.text(csvCell(r[5])); // tags
  out.byte(COMMA);
  writeTimestamps(out, r[6]!);
  out.byte(COMMA);
  out.ascii(r[7] ?? ""); // satisfaction: good, bad or empty (decision 051)
  if (fieldKeys.length) {
    const values = r[8] ? (JSON.parse(r[8]) as Record<string, unknown>) : {};
    for (const k of fieldKeys) {
      out.byte(COMMA);
      out.text(csvCell(fieldCell(values[k])));
    }
  }
  out.byte(CR);
  out.byte(LF);
}

/**
 * The batch's CSV records, how many there are and the position of the last. Rows are written as
 * they arrive; a row whose requester or assignee email is not known yet is held in its place and
 * written after one lookup of the batch's new users, so the records keep their order.
 */
export async function readCsvBatch(
  tx: Tx,
  orgId: string,
  opts: BatchOptions,
  emails: UserEmails,
  fieldKeys: readonly string[] = [],
): Promise<{ bytes: Uint8Array; count: number; last: Position | undefined }> {
  const out = new ByteWriter(opts.limit * 360);
  const parts: ([number, number] | TextRow)[] = [];
  let from = 0;
  let end: TextRow | undefined;
  const count = await streamTextRows(tx, csvBatchQuery(orgId, opts), (r) => {
    end = r;
    const requester = emails.get(r[3]!);
    const assignee = r[4] ? emails.get(r[4]) : null;
    if (requester === undefined || assignee === undefined) {
      parts.push([from, out.length], r);
      from = out.length;
    } else writeRecord(out, r, requester, assignee, fieldKeys);
  });
  if (parts.length === 0) return { bytes: out.slice(), count, last: end && lastPosition(end) };

  parts.push([from, out.length]);
  const held = parts.filter((p): p is TextRow => !isRange(p));
  await emails.load(
    tx,
    held.flatMap((r) => [r[3], r[4]]),
  );
  const ranges = parts.map((p) => {
    if (isRange(p)) return p;
    const start = out.length;
    writeRecord(out, p, emails.get(p[3]!) ?? null, p[4] ? (emails.get(p[4]) ?? null) : null, fieldKeys);
    return [start, out.length] as const;
  });
  const bytes = Buffer.allocUnsafe(out.length);
  let at = 0;
  for (const [a, b] of ranges) {
    bytes.set(out.slice(a, b), at);
    at += b - a;
  }
  return { bytes, count, last: end && lastPosition(end) };
}

const isRange = (p: [number, number] | TextRow): p is [number, number] => typeof p[0] === "number";
const lastPosition = (r: TextRow) => positionOf(r[6]!.split(",")[1]!, r[0]!.slice(0, 36));
