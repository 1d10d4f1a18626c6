import "server-only";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import type { slaMetric } from "../db/schema/enums";
import type { Tx } from "../db/tenant";
import { auditImported, type BatchContext } from "./batch";
import { recordIds } from "./id-map";
import { clean, wellFormed } from "./record-shape";

// A ticket's recorded history from a source, beside its tickets (decision 061): SLA events as
// the source recorded them, satisfaction ratings, and the recorded first reply and resolution
// times. Each is written straight into Beacon's tables, like the tickets: no SLA policy runs, no
// breach is computed, no notification, email or webhook job is enqueued.

type SlaMetric = (typeof slaMetric.enumValues)[number];

/**
 * An SLA event the source recorded. `activate` is the source's "the clock runs": at the ticket's
 * creation it is implied by the ticket and not kept; later it is what Beacon records for the same
 * moment (a next-response clock starting, a resolution clock restarting on reopen, a clock resumed).
 */
export type ImportedSlaEvent = {
  sourceId: string;
  ticketRef: string;
  metric: SlaMetric;
  kind: "apply" | "pause" | "resume" | "fulfill" | "breach" | "activate";
  at: Date;
  dueAt: Date | null;
  data: Record<string, unknown>;
  /** The record's position in its file, for the report. */
  record: number;
};

/** An activation this close to the ticket's creation is the clock's start, which the ticket itself records. */
const START_SLACK_MS = 60_000;

/** A batch's tickets by source id: their Beacon id and creation time, and which of `sourceIds` of `type` are mapped already. */
async function lookUp(
  tx: Tx,
  ctx: BatchContext,
  type: string,
  sourceIds: string[],
  ticketRefs: string[],
): Promise<{ known: Set<string>; tickets: Map<string, ImportedTicket> }> {
  const { space } = ctx;
  const res = await tx.execute<{
    source_type: string;
    source_id: string;
    beacon_id: string;
    created_at: string | null;
  }>(sql`
    select m.source_type, m.source_id, m.beacon_id::text as beacon_id, t.created_at
    from unnest(${sql.param([...sourceIds.map(() => type), ...ticketRefs.map(() => "ticket")])}::text[],
                ${sql.param([...sourceIds, ...ticketRefs])}::text[]) as w(source_type, source_id)
    join import_id_map m on m.org_id = ${space.orgId} and m.source_kind = ${space.sourceKind}
      and m.source_type = w.source_type and m.source_id = w.source_id
    left join tickets t on w.source_type = 'ticket' and t.org_id = m.org_id and t.id = m.beacon_id`);
  const known = new Set<string>();
  const tickets = new Map<string, ImportedTicket>();
  for (const r of res.rows) {
    if (r.source_type === type) known.add(r.source_id);
    else if (r.created_at) tickets.set(r.source_id, { id: r.beacon_id, createdAt: new Date(r.created_at) });
  }
  return { known, tickets };
}

type TicketRecord = { sourceId: string; ticketRef: string; record: number };
type ImportedTicket = { id: string; createdAt: Date };

/**
 * The records of a batch still to write, each with its imported ticket. The rest is counted under
 * `type`: a second record with the same source id (skipped, "duplicate in the source"), one the
 * id map has under `mapType` already (existing), one whose ticket was not imported (skipped).
 */
async function toWrite<R extends TicketRecord>(
  tx: Tx,
  ctx: BatchContext,
  type: string,
  mapType: string,
  records: R[],
): Promise<{ r: R; ticket: ImportedTicket }[]> {
  const { tally, file } = ctx;
  const seen = new Set<string>();
  const unique = records.filter((r) => {
    const dup = seen.has(r.sourceId);
    seen.add(r.sourceId);
    if (dup) tally.skip(type, { sourceId: r.sourceId, file, record: r.record }, "duplicate in the source");
    return !dup;
  });
  const { known, tickets } = await lookUp(
    tx,
    ctx,
    mapType,
    unique.map((r) => r.sourceId),
    unique.map((r) => r.ticketRef),
  );
  const out: { r: R; ticket: ImportedTicket }[] = [];
  for (const r of unique) {
    const ticket = tickets.get(r.ticketRef);
    if (known.has(r.sourceId)) tally.add(type, "existing");
    else if (!ticket) tally.skip(type, { sourceId: r.sourceId, file, record: r.record }, "its ticket was not imported");
    else out.push({ r, ticket });
  }
  return out;
}

/**
 * Recorded SLA events into sla_events, marked `imported` with their source and import in `data`,
 * so the history says where they come from and nothing reads them as Beacon's own. Never a
 * notification: the SLA scan notifies only for the events its own insert wrote, and an imported
 * ticket has no SLA policy and no sla_checks row for the scan to find. Idempotent through the id
 * map (type `sla_event`): a second run counts them as existing.
 */
export async function writeImportedSlaEvents(tx: Tx, ctx: BatchContext, events: ImportedSlaEvent[]): Promise<void> {
  const { space, tally, file } = ctx;
  if (!events.length) return;
  const rows: {
    org_id: string;
    id: string;
    ticket_id: string;
    metric: string;
    kind: string;
    at: Date;
    due_at: Date | null;
    data: Record<string, unknown>;
  }[] = [];
  const sourceOf = new Map<string, ImportedSlaEvent>();
  for (const { r: e, ticket } of await toWrite(tx, ctx, "sla_event", "sla_event", events)) {
    const at = { sourceId: e.sourceId, file, record: e.record };
    let kind = e.kind;
    const data: Record<string, unknown> = { ...e.data };
    if (kind === "activate") {
      if (e.at.getTime() - ticket.createdAt.getTime() <= START_SLACK_MS) {
        tally.skip("sla_event", at, "the clock's start with the ticket (its creation records it)", undefined, false);
        continue;
      }
      // What Beacon records at that moment: the next-response clock starts, the resolution clock restarts.
      if (e.metric === "resolution") data.reason = "reopened";
      kind = e.metric === "first_response" ? "resume" : "apply";
    }
    const id = randomUUID();
    rows.push({
      org_id: space.orgId,
      id,
      ticket_id: ticket.id,
      metric: e.metric,
      kind,
      at: e.at,
      due_at: e.dueAt,
      data: { ...data, imported: true, source: space.sourceKind, sourceId: e.sourceId, importId: space.importId },
    });
    sourceOf.set(id, e);
  }
  if (!rows.length) return;
  // A breach is recorded once per metric and due time (sla_events_once_key): a second one is the same breach.
  const written = await tx.execute<{ id: string }>(sql`
    insert into sla_events (org_id, id, ticket_id, metric, kind, at, due_at, data)
    select org_id, id, ticket_id, metric::sla_metric, kind::sla_event_kind, at, due_at, data
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(org_id uuid, id uuid, ticket_id uuid, metric text,
      kind text, at timestamptz, due_at timestamptz, data jsonb)
    on conflict do nothing
    returning id::text as id`);
  const kept = new Set(written.rows.map((r) => r.id));
  const pairs: [string, string][] = [];
  for (const [id, e] of sourceOf) {
    if (kept.has(id)) {
      pairs.push([e.sourceId, id]);
      tally.add("sla_event", "imported");
    } else
      tally.skip(
        "sla_event",
        { sourceId: e.sourceId, file, record: e.record },
        "the same breach is recorded already",
        undefined,
        false,
      );
  }
  await recordIds(tx, space, "sla_event", pairs);
}

/** A satisfaction rating the source recorded, already good or bad (the source's scale mapped by its reader). */
export type ImportedRating = {
  sourceId: string;
  ticketRef: string;
  rating: "good" | "bad";
  comment: string;
  createdAt: Date;
  updatedAt: Date;
  record: number;
};

/**
 * Satisfaction ratings into csat_ratings (one row per ticket, decision 051): the rating, its
 * comment and times; the requester, assignee and group are the ticket's. A ticket rated again
 * keeps the later rating (`changes` counts each), in the batch and against a rating the ticket
 * has in Beacon already; a rating older than the ticket's is counted as skipped. Each written
 * rating gets a `ticket.csat_imported` audit event. Idempotent through the id map
 * (`satisfaction_rating` → the ticket).
 */
export async function writeImportedRatings(tx: Tx, ctx: BatchContext, ratings: ImportedRating[]): Promise<void> {
  const { space, tally, file } = ctx;
  if (!ratings.length) return;
  // The latest rating of each ticket in the batch; the earlier ones are its history, not kept by Beacon.
  const latest = new Map<string, ImportedRating & { ticketId: string }>();
  const pairs: [string, string][] = [];
  for (const { r, ticket } of await toWrite(tx, ctx, "satisfaction_rating", "satisfaction_rating", ratings)) {
    const before = latest.get(ticket.id);
    const [keep, drop] =
      before && before.updatedAt > r.updatedAt
        ? [before, { ...r, ticketId: ticket.id }]
        : [{ ...r, ticketId: ticket.id }, before];
    latest.set(ticket.id, keep);
    if (drop) {
      tally.skip(
        "satisfaction_rating",
        { sourceId: drop.sourceId, file, record: drop.record },
        "the ticket was rated again later (Beacon keeps the latest)",
        undefined,
        false,
      );
      pairs.push([drop.sourceId, drop.ticketId]);
    }
  }
  if (!latest.size) return recordIds(tx, space, "satisfaction_rating", pairs);
  const rows = [...latest.values()].map((r) => ({
    ticket_id: r.ticketId,
    rating: r.rating,
    comment: wellFormed(clean(r.comment).slice(0, 5000)),
    created_at: r.createdAt,
    updated_at: r.updatedAt,
  }));
  const written = await tx.execute<{ ticket_id: string }>(sql`
    insert into csat_ratings (org_id, ticket_id, rating, comment, requester_id, assignee_id, group_id, changes, created_at, updated_at)
    select t.org_id, t.id, x.rating::csat_rating, x.comment, t.requester_id, t.assignee_id, t.group_id, 1, x.created_at, x.updated_at
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(ticket_id uuid, rating text, comment text,
      created_at timestamptz, updated_at timestamptz)
    join tickets t on t.org_id = ${space.orgId} and t.id = x.ticket_id
    on conflict (org_id, ticket_id) do update set rating = excluded.rating, comment = excluded.comment,
      updated_at = excluded.updated_at, changes = csat_ratings.changes + 1
      where csat_ratings.updated_at < excluded.updated_at
    returning ticket_id::text as ticket_id`);
  const kept = new Set(written.rows.map((r) => r.ticket_id));
  const audits = [];
  for (const r of latest.values()) {
    pairs.push([r.sourceId, r.ticketId]);
    if (!kept.has(r.ticketId)) {
      tally.skip(
        "satisfaction_rating",
        { sourceId: r.sourceId, file, record: r.record },
        "the ticket has a later rating in Beacon",
        undefined,
        false,
      );
      continue;
    }
    tally.add("satisfaction_rating", "imported");
    audits.push({
      action: "ticket.csat_imported",
      entityType: "ticket",
      entityId: r.ticketId,
      data: {
        importId: space.importId,
        source: space.sourceKind,
        sourceId: r.sourceId,
        rating: r.rating,
        comment: rows.find((x) => x.ticket_id === r.ticketId)!.comment,
        ratedAt: r.updatedAt.toISOString(),
      },
    });
  }
  await recordIds(tx, space, "satisfaction_rating", pairs);
  await auditImported(tx, ctx.actor, audits);
}

/** First reply and resolution times the source measured, for a ticket by its source reference. */
export type RecordedTimes = {
  sourceId: string;
  ticketRef: string;
  firstResponseAt: Date | null;
  /** When the ticket was solved (kept only while the ticket is solved or closed). */
  resolvedAt: Date | null;
  /** Minutes from the ticket's creation to its first reply, when the source gives a duration instead of a time. */
  firstReplyMinutes: number | null;
  record: number;
};

/**
 * The source's recorded first reply and resolution onto imported tickets: `first_response_at`
 * where it is not set (no reply among the imported comments, as in an incremental export whose
 * only comment is the description); `resolved_at` of a solved or closed ticket where it is still
 * the importer's estimate (the ticket's last update) and the ticket is unchanged since the import
 * (version 1). An open ticket keeps no resolution time: Beacon reads one as "resolved now".
 * Idempotent through the id map (`ticket_metric` → the ticket).
 */
export async function writeRecordedTimes(
  tx: Tx,
  ctx: BatchContext,
  type: string,
  times: RecordedTimes[],
): Promise<void> {
  const { space, tally } = ctx;
  if (!times.length) return;
  const rows: { ticket_id: string; first_response_at: Date | null; resolved_at: Date | null }[] = [];
  const pairs: [string, string][] = [];
  for (const { r, ticket } of await toWrite(tx, ctx, type, "ticket_metric", times)) {
    const firstResponseAt =
      r.firstResponseAt ??
      (r.firstReplyMinutes !== null ? new Date(ticket.createdAt.getTime() + r.firstReplyMinutes * 60_000) : null);
    rows.push({ ticket_id: ticket.id, first_response_at: firstResponseAt, resolved_at: r.resolvedAt });
    pairs.push([r.sourceId, ticket.id]);
    tally.add(type, "imported");
  }
  if (rows.length)
    await tx.execute(sql`
      update tickets t set
        first_response_at = coalesce(t.first_response_at, x.first_response_at),
        resolved_at = case when t.status in ('solved', 'closed') and x.resolved_at is not null and t.version = 1
                             and (t.resolved_at is null or t.resolved_at = t.updated_at)
                           then x.resolved_at else t.resolved_at end
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as x(ticket_id uuid, first_response_at timestamptz,
        resolved_at timestamptz)
      where t.org_id = ${space.orgId} and t.id = x.ticket_id`);
  await recordIds(tx, space, "ticket_metric", pairs);
}
