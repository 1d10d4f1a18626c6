import { randomUUID } from "node:crypto";
import { eq, sql } from "drizzle-orm";
import { z } from "zod";
import { tickets } from "../db/schema/tickets";
import type { Tx } from "../db/tenant";

// What a ticket event's webhook payload says (issue 20 "Webhooks", decision 043): the ticket as it
// was when the event happened, read in the transaction that caused the event and carried by the
// event's notify job, not re-read when the job runs (a ticket.created delivery once carried the
// subject of a later edit).

export const ZTicketSnapshot = z.object({
  id: z.uuid(),
  number: z.number().int(),
  subject: z.string(),
  status: z.string(),
  priority: z.string(),
  assigneeId: z.uuid().nullable(),
  requesterId: z.uuid(),
  tags: z.array(z.string()),
  version: z.number().int(),
});

/** The ticket's columns a snapshot holds (ZTicketSnapshot). */
const SNAPSHOT_COLUMNS = {
  id: tickets.id,
  number: tickets.number,
  subject: tickets.subject,
  status: tickets.status,
  priority: tickets.priority,
  assigneeId: tickets.assigneeId,
  requesterId: tickets.requesterId,
  tags: tickets.tags,
  version: tickets.version,
};

/** `changes` of an update: each changed field as [from, to]. */
export const ZChanges = z.record(z.string(), z.tuple([z.unknown(), z.unknown()]));

export const ZEventSnapshot = z.object({
  /** One event, whichever webhooks it goes to and however often a delivery is retried: receivers de-duplicate on it. */
  eventId: z.uuid(),
  /** When it happened, in the causing transaction, under the ticket's row lock: one ticket's events are ordered by it. */
  occurredAt: z.iso.datetime({ offset: true }),
  ticket: ZTicketSnapshot,
  changes: ZChanges.optional(),
});
export type EventSnapshot = z.infer<typeof ZEventSnapshot>;

/** `{field: {from, to}}` (audit and automation diffs) as `{field: [from, to]}`. */
export function asChanges(diff: Record<string, { from: unknown; to: unknown }>): Record<string, [unknown, unknown]> {
  return Object.fromEntries(Object.entries(diff).map(([k, { from, to }]) => [k, [from ?? null, to ?? null]]));
}

/**
 * The event's record: the ticket as this transaction sees it now (its own write included), an id
 * and the time. Call it where the event is enqueued, after the write it reports.
 */
export async function snapshotTicketEvent(
  tx: Tx,
  ticketId: string,
  changes?: Record<string, [unknown, unknown]>,
): Promise<EventSnapshot> {
  const [t] = await tx
    .select({
      ...SNAPSHOT_COLUMNS,
      at: sql<string>`to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
    })
    .from(tickets)
    .where(eq(tickets.id, ticketId));
  if (!t) throw new Error(`snapshotTicketEvent: ticket ${ticketId} is not visible in this transaction`);
  const { at, ...ticket } = t;
  return {
    eventId: randomUUID(),
    occurredAt: at,
    ticket,
    ...(changes && Object.keys(changes).length ? { changes } : {}),
  };
}
