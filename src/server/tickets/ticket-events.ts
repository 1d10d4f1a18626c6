import "server-only";
import { and, asc, eq, sql, type SQL } from "drizzle-orm";
import { auditEvents } from "../db/schema/audit";
import { slaEvents } from "../db/schema/sla";
import { decodeCursor, encodeCursor } from "../core/cursor";
import type { ListPage } from "../core/list-page";
import type { Scope } from "../core/scope";
import { loadVisibleTicket } from "../ticket-model/load-ticket";
import { assertCan } from "../authz/permissions";

export type TicketEvent = {
  source: "audit" | "sla";
  at: string;
  action: string;
  actorId: string | null;
  data: Record<string, unknown>;
  seq: number | null;
};

/**
 * A position in a ticket's history: the event's time in microseconds since the epoch (exact, as
 * PostgreSQL stores it), its source (audit before SLA at the same instant) and its key within the
 * source (the audit seq, or the SLA event's id).
 */
type Cursor = { t: string; s: 0 | 1; k: string };
const isCursor = (v: unknown): v is Cursor =>
  typeof v === "object" &&
  v !== null &&
  /^\d{1,20}$/.test(String((v as Cursor).t)) &&
  ((v as Cursor).s === 0 || (v as Cursor).s === 1) &&
  typeof (v as Cursor).k === "string" &&
  /^[0-9a-f-]{1,36}$/i.test((v as Cursor).k);

const micros = (column: SQL | typeof auditEvents.at) =>
  sql<string>`(extract(epoch from ${column}) * 1000000)::bigint::text`;
const instant = (t: string) => sql`(timestamptz 'epoch' + ${t}::bigint * interval '1 microsecond')`;

type Row = { event: TicketEvent; pos: Cursor };
const compare = (a: Cursor, b: Cursor) => {
  const dt = BigInt(a.t) - BigInt(b.t);
  if (dt !== 0n) return dt < 0n ? -1 : 1;
  if (a.s !== b.s) return a.s - b.s;
  // UUIDs compare as PostgreSQL compares them: byte by byte, which is their lowercase text order.
  return a.s === 0 ? Number(a.k) - Number(b.k) : a.k < b.k ? -1 : a.k > b.k ? 1 : 0;
};

/**
 * A ticket's history for staff: its audit chain entries and SLA events, in time order, keyset-
 * paginated over both sources at once: each is read from the cursor's position on, `limit + 1`
 * rows at most, and the merged first `limit` are the page.
 */
export async function ticketEvents(
  scope: Scope,
  ticketId: string,
  page: ListPage,
): Promise<{ data: TicketEvent[]; nextCursor: string | null }> {
  const t = await loadVisibleTicket(scope.tx, scope.user, ticketId);
  assertCan(scope.user, "ticket.events", t);
  const c = page.cursor ? decodeCursor("ticket-events", page.cursor, isCursor, { ticketId: t.id }) : null;
  const auditAfter = c
    ? c.s === 0
      ? sql`(${auditEvents.at} > ${instant(c.t)} or (${auditEvents.at} = ${instant(c.t)} and ${auditEvents.seq} > ${Number(c.k)}))`
      : sql`${auditEvents.at} > ${instant(c.t)}`
    : undefined;
  const slaAfter = c
    ? c.s === 0
      ? sql`${slaEvents.at} >= ${instant(c.t)}`
      : sql`(${slaEvents.at}, ${slaEvents.id}) > (${instant(c.t)}, ${c.k}::uuid)`
    : undefined;
  const [audit, sla] = await Promise.all([
    scope.tx
      .select({ a: auditEvents, t: micros(auditEvents.at) })
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, "ticket"), eq(auditEvents.entityId, t.id), auditAfter))
      .orderBy(asc(auditEvents.at), asc(auditEvents.seq))
      .limit(page.limit + 1),
    scope.tx
      .select({ s: slaEvents, t: micros(sql`${slaEvents.at}`) })
      .from(slaEvents)
      .where(and(eq(slaEvents.ticketId, t.id), slaAfter))
      .orderBy(asc(slaEvents.at), asc(slaEvents.id))
      .limit(page.limit + 1),
  ]);
  const rows: Row[] = [
    ...audit.map(
      ({ a, t: at }): Row => ({
        event: {
          source: "audit",
          at: a.at.toISOString(),
          action: a.action,
          actorId: a.actorId,
          data: a.data,
          seq: a.seq,
        },
        pos: { t: at, s: 0, k: String(a.seq) },
      }),
    ),
    ...sla.map(
      ({ s, t: at }): Row => ({
        event: {
          source: "sla",
          at: s.at.toISOString(),
          action: `sla.${s.metric}.${s.kind}`,
          actorId: null,
          data: { ...s.data, dueAt: s.dueAt?.toISOString() ?? null },
          seq: null,
        },
        pos: { t: at, s: 1, k: s.id },
      }),
    ),
  ].sort((a, b) => compare(a.pos, b.pos));
  const more = rows.length > page.limit;
  const pageRows = rows.slice(0, page.limit);
  const last = pageRows[pageRows.length - 1];
  return {
    data: pageRows.map((r) => r.event),
    nextCursor: more && last ? encodeCursor("ticket-events", last.pos, { ticketId: t.id }) : null,
  };
}
