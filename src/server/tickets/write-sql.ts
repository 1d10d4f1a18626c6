import { randomUUID } from "node:crypto";
import { sql, type SQL } from "drizzle-orm";
import type { TicketRow } from "../ticket-model/ticket-view";

// SQL pieces the one-statement writes share (decision 047).

/**
 * An event's webhook snapshot (ZEventSnapshot, decision 043) as a jsonb expression of the writing
 * statement: the ticket as this write leaves it, with the fields only the statement knows (a number
 * taken in it, the version it set) given as SQL, and occurredAt the database clock's, as
 * snapshotTicketEvent reads it.
 */
export function snapshotJson(
  t: Pick<
    TicketRow,
    "id" | "number" | "subject" | "status" | "priority" | "assigneeId" | "requesterId" | "tags" | "version"
  >,
  fromSql: { number?: SQL; version?: SQL },
  changes?: Record<string, [unknown, unknown]>,
): SQL {
  const known: Record<string, unknown> = {
    id: t.id,
    number: t.number,
    subject: t.subject,
    status: t.status,
    priority: t.priority,
    assigneeId: t.assigneeId,
    requesterId: t.requesterId,
    tags: t.tags,
    version: t.version,
  };
  if (fromSql.number) delete known.number;
  if (fromSql.version) delete known.version;
  let ticket = sql`${JSON.stringify(known)}::jsonb`;
  if (fromSql.number) ticket = sql`${ticket} || jsonb_build_object('number', ${fromSql.number})`;
  if (fromSql.version) ticket = sql`${ticket} || jsonb_build_object('version', ${fromSql.version})`;
  const head = { eventId: randomUUID(), ...(changes && Object.keys(changes).length ? { changes } : {}) };
  return sql`(${JSON.stringify(head)}::jsonb || jsonb_build_object('occurredAt', to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), 'ticket', ${ticket}))`;
}
