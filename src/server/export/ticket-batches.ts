import "server-only";
import { and, asc, eq, getTableColumns, gte, sql, type SQL } from "drizzle-orm";
import { alias, type AnyPgColumn } from "drizzle-orm/pg-core";
import { comments, tickets } from "../db/schema/tickets";
import { users } from "../db/schema/users";
import type { Tx } from "../db/tenant";
import type { CommentView } from "../tickets/schemas";
import type { TicketRow } from "../tickets/ticket-view";

/** A keyset position in (updated_at, id) order; `v` is PostgreSQL's own text of the timestamp (microseconds kept). */
export type Position = { v: string; id: string };

export const NIL_UUID = "00000000-0000-0000-0000-000000000000";

export type ExportRow = { ticket: TicketRow; requesterEmail: string | null; assigneeEmail: string | null; position: Position };

const requester = alias(users, "requester");
const assignee = alias(users, "assignee");

/**
 * The table's columns without its search vector, with each timestamp read as epoch milliseconds
 * (float8) instead of text: node-postgres parses timestamptz text with a regex per value, which
 * was two thirds of a batch's time (80 ms of 120 for 1,000 tickets); `new Date(ms)` is native.
 */
function exportColumns<T extends Record<string, AnyPgColumn>>(columns: T) {
  const timestamps: string[] = [];
  const selection: Record<string, AnyPgColumn | SQL.Aliased> = {};
  for (const [key, column] of Object.entries(columns)) {
    if (key === "searchVector") continue;
    if (column.columnType === "PgTimestamp") {
      timestamps.push(key);
      selection[key] = sql<number | null>`floor(extract(epoch from ${column}) * 1000)::float8`.as(`${column.name}_ms`);
    } else selection[key] = column;
  }
  const toRow = (raw: Record<string, unknown>) => {
    const row: Record<string, unknown> = { ...raw };
    for (const key of timestamps) row[key] = raw[key] === null ? null : new Date(raw[key] as number);
    return row;
  };
  return { selection, toRow };
}

const ticketCols = exportColumns(getTableColumns(tickets));

export type BatchOptions = { after: Position | null; since?: string; before?: SQL; limit: number };

/**
 * The next `limit` tickets of the org after `after` in (updated_at, id) order: a forward range
 * scan of tickets_org_updated_idx (org_id, updated_at, id), the row comparison being its index
 * condition. The ORDER BY must match the index exactly, null ordering included (the planner does
 * not use NOT NULL to ignore it): against the earlier (updated_at DESC NULLS LAST, id DESC NULLS
 * LAST) index a plain ASC sorted the whole org for every batch (120–330 ms a batch on the bench
 * database instead of 0.4 ms). tests/integration/export.test.ts checks the plan.
 * `before` (exclusive) bounds the end.
 */
export function ticketBatchQuery(tx: Tx, orgId: string, opts: BatchOptions) {
  return tx
    .select({
      ticket: ticketCols.selection,
      requesterEmail: requester.email,
      assigneeEmail: assignee.email,
      v: sql<string>`${tickets.updatedAt}::text`.as("position_v"),
    })
    .from(tickets)
    .leftJoin(requester, and(eq(requester.orgId, tickets.orgId), eq(requester.id, tickets.requesterId)))
    .leftJoin(assignee, and(eq(assignee.orgId, tickets.orgId), eq(assignee.id, tickets.assigneeId)))
    .where(keysetWhere(orgId, opts))
    .orderBy(asc(tickets.updatedAt), asc(tickets.id))
    .limit(opts.limit);
}

function keysetWhere(orgId: string, opts: BatchOptions): SQL {
  const where: (SQL | undefined)[] = [eq(tickets.orgId, orgId)];
  if (opts.since) where.push(gte(tickets.updatedAt, sql`${opts.since}::timestamptz`));
  if (opts.after) {
    where.push(sql`(${tickets.updatedAt}, ${tickets.id}) > (${opts.after.v}::timestamptz, ${opts.after.id}::uuid)`);
  }
  if (opts.before) where.push(sql`${tickets.updatedAt} < ${opts.before}`);
  return and(...where)!;
}

/** One CSV row's values, formatted by PostgreSQL (ISO-8601 UTC timestamps, space-joined tags). */
export type CsvRecord = {
  id: string; number: number; subject: string; status: string; priority: string;
  requester_id: string; requester_email: string | null; assignee_id: string | null; assignee_email: string | null; tags: string;
  created_at: string; updated_at: string; first_response_due: string | null; first_response_at: string | null;
  resolve_due: string | null; resolved_at: string | null; closed_at: string | null; position_v: string;
};

const isoUtc = (c: AnyPgColumn) => sql`to_char(${c} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * The CSV export's batch: the same keyset walk as ticketBatchQuery, but the values come out of
 * PostgreSQL as the text the CSV carries, read as plain rows. Profiled on the largest bench org,
 * the ORM's per-field row mapping and one Date per timestamp (parse, then toISOString) were most
 * of the export's CPU time and garbage.
 */
export function csvBatchQuery(orgId: string, opts: BatchOptions): SQL {
  return sql`select ${tickets.id} as id, ${tickets.number} as number, ${tickets.subject} as subject, ${tickets.status} as status,
      ${tickets.priority} as priority, ${tickets.requesterId} as requester_id, r.email as requester_email,
      ${tickets.assigneeId} as assignee_id, a.email as assignee_email, array_to_string(${tickets.tags}, ' ') as tags,
      ${isoUtc(tickets.createdAt)} as created_at, ${isoUtc(tickets.updatedAt)} as updated_at,
      ${isoUtc(tickets.firstResponseDue)} as first_response_due, ${isoUtc(tickets.firstResponseAt)} as first_response_at,
      ${isoUtc(tickets.resolveDue)} as resolve_due, ${isoUtc(tickets.resolvedAt)} as resolved_at, ${isoUtc(tickets.closedAt)} as closed_at,
      ${tickets.updatedAt}::text as position_v
    from ${tickets}
    left join ${users} r on r.org_id = ${tickets.orgId} and r.id = ${tickets.requesterId}
    left join ${users} a on a.org_id = ${tickets.orgId} and a.id = ${tickets.assigneeId}
    where ${keysetWhere(orgId, opts)}
    order by ${tickets.updatedAt} asc, ${tickets.id} asc
    limit ${opts.limit}`;
}

export async function readCsvBatch(tx: Tx, orgId: string, opts: BatchOptions): Promise<CsvRecord[]> {
  return (await tx.execute<CsvRecord>(csvBatchQuery(orgId, opts))).rows;
}

export async function readTicketBatch(tx: Tx, orgId: string, opts: BatchOptions): Promise<ExportRow[]> {
  const rows = await ticketBatchQuery(tx, orgId, opts);
  return rows.map((r) => {
    const ticket = { ...(ticketCols.toRow(r.ticket) as Omit<TicketRow, "searchVector">), searchVector: null };
    return { ticket, requesterEmail: r.requesterEmail, assigneeEmail: r.assigneeEmail, position: { v: r.v, id: ticket.id } };
  });
}

/**
 * Every comment (internal notes included) of the given tickets, as the API shows them, grouped by
 * ticket, oldest first. Read as plain rows with ISO timestamps from PostgreSQL: at ~3 comments a
 * ticket this is most of an ndjson batch, and the ORM's per-field mapping dominated its CPU time.
 */
export async function readComments(tx: Tx, orgId: string, ticketIds: string[]): Promise<Map<string, CommentView[]>> {
  const byTicket = new Map<string, CommentView[]>();
  if (ticketIds.length === 0) return byTicket;
  const r = await tx.execute<CommentView>(sql`select ${comments.id} as "id", ${comments.ticketId} as "ticketId", ${comments.authorId} as "authorId",
      ${comments.body} as "body", ${comments.bodyHtml} as "bodyHtml", ${comments.internal} as "internal", ${isoUtc(comments.createdAt)} as "createdAt"
    from ${comments}
    where ${comments.orgId} = ${orgId} and ${comments.ticketId} = any(${`{${ticketIds.join(",")}}`}::uuid[])
    order by ${comments.ticketId}, ${comments.createdAt}, ${comments.id}`);
  for (const c of r.rows) {
    const list = byTicket.get(c.ticketId);
    if (list) list.push(c);
    else byTicket.set(c.ticketId, [c]);
  }
  return byTicket;
}
