import "server-only";
import type { Tx } from "../../db/tenant";
import { parseRecords, type BatchContext, type BatchRecord } from "../batch";
import {
  writeImportedRatings,
  writeImportedSlaEvents,
  writeRecordedTimes,
  type ImportedRating,
  type ImportedSlaEvent,
  type RecordedTimes,
} from "../imported-history";
import { describeIssues, idOf } from "../record-shape";
import {
  ZZendeskMetricEvent,
  ZZendeskSatisfactionRating,
  ZZendeskTicketMetric,
  type ZendeskMetricEvent,
  type ZendeskSatisfactionRating,
  type ZendeskTicket,
  type ZendeskTicketMetric,
} from "./shapes";

// Zendesk's recorded SLA history, ticket metrics and satisfaction ratings (decision 061), mapped to
// Beacon's sla_events, ticket times and csat_ratings by the shared writers of imported-history.ts.

/** Zendesk metrics Beacon has no SLA for: their events are counted as skipped, not kept. */
const OTHER_METRICS = new Set([
  "agent_work_time",
  "requester_wait_time",
  "pausable_update_time",
  "periodic_update_time",
  "group_ownership_time",
]);

/** Event types that measure rather than happen (minutes in a status): Beacon's history has no such event. */
const MEASURES = new Set(["update_status", "measure"]);

/** Where Zendesk's metric event goes in Beacon, or why it does not (`sampled`: a fault, not a design choice). */
export function slaEventOf(
  e: ZendeskMetricEvent,
  record: number,
): { event: ImportedSlaEvent } | { skip: string; sampled: boolean } {
  const metric =
    e.metric === "reply_time"
      ? (e.instance_id ?? 1) <= 1
        ? "first_response"
        : "next_response"
      : e.metric === "resolution_time"
        ? "resolution"
        : null;
  if (!metric)
    return OTHER_METRICS.has(e.metric)
      ? { skip: `a metric Beacon has no SLA for (${e.metric})`, sampled: false }
      : { skip: "an unknown metric", sampled: true };
  const base = { sourceId: e.id, ticketRef: e.ticket_id, metric, at: e.time, record } as const;
  const data: Record<string, unknown> = { sourceMetric: e.metric, instance: e.instance_id ?? 1 };
  switch (e.type) {
    case "apply_sla":
      return {
        event: {
          ...base,
          kind: "apply",
          dueAt: null,
          data: {
            ...data,
            policy: e.sla?.policy?.title ?? null,
            policyId: e.sla?.policy?.id ?? null,
            targetMinutes: e.sla?.target ?? null,
            businessHours: e.sla?.business_hours ?? null,
          },
        },
      };
    case "breach":
      if (e.deleted) return { skip: "a breach Zendesk deleted (its SLA no longer applied)", sampled: false };
      // Zendesk records the breach when the target passed: its time is the due time.
      return { event: { ...base, kind: "breach", dueAt: e.time, data } };
    case "fulfill":
    case "pause":
    case "activate":
      return { event: { ...base, kind: e.type, dueAt: null, data } };
    case "apply_group_sla":
      return { skip: "a group SLA (Beacon has none)", sampled: false };
    default:
      return MEASURES.has(e.type)
        ? { skip: "a measurement, not an event (Beacon's history has none)", sampled: false }
        : { skip: "an unknown event type", sampled: true };
  }
}

/** Ticket metric events (ticket_metric_events*.json, or pages of the incremental export) as recorded SLA events. */
export async function writeMetricEvents(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const events: ImportedSlaEvent[] = [];
  for (const { rec, value } of parseRecords(ctx, "sla_event", recs, ZZendeskMetricEvent)) {
    const r = slaEventOf(value, rec.index);
    if ("event" in r) events.push(r.event);
    else
      ctx.tally.skip("sla_event", { sourceId: value.id, file: ctx.file, record: rec.index }, r.skip, r.skip, r.sampled);
  }
  await writeImportedSlaEvents(tx, ctx, events);
}

function recordedTimes(m: ZendeskTicketMetric, record: number): RecordedTimes {
  return {
    sourceId: m.id,
    ticketRef: m.ticket_id,
    firstResponseAt: null,
    firstReplyMinutes: m.reply_time_in_minutes?.calendar ?? null,
    resolvedAt: m.solved_at ?? null,
    record,
  };
}

/** The writer of ticket metric records reported as `type` (writeRecordedTimes maps them all as ticket metrics). */
const metricsWriter =
  (type: "ticket_metric" | "metric_set") =>
  async (tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> => {
    const times = parseRecords(ctx, type, recs, ZZendeskTicketMetric).map(({ rec, value }) =>
      recordedTimes(value, rec.index),
    );
    await writeRecordedTimes(tx, ctx, type, times);
  };

/** Ticket metrics (ticket_metrics*.json): the recorded first reply and solve times onto the imported tickets. */
export const writeTicketMetrics = metricsWriter("ticket_metric");

/**
 * The `metric_sets` an incremental ticket export sideloads (include=metric_sets): ticket metrics
 * under another key, reported as their own type but mapped as ticket metrics, so a metric given
 * both ways is written once.
 */
export const writeMetricSets = metricsWriter("metric_set");

/** A rating, or why it is not one (a survey offered and not answered, a record with no time). */
function ratingOf(
  r: ZendeskSatisfactionRating,
  ticketId: string,
  fallbackTime: Date | null,
  record: number,
): ImportedRating | { skip: string; sampled: boolean } {
  if (r.score === "offered" || r.score === "unoffered")
    return { skip: "a survey offered and not answered", sampled: false };
  const updatedAt = r.updated_at ?? r.created_at ?? fallbackTime;
  if (!updatedAt) return { skip: "malformed: created_at", sampled: true };
  return {
    sourceId: r.id ?? `ticket-${ticketId}`,
    ticketRef: ticketId,
    rating: r.score.startsWith("good") ? "good" : "bad",
    comment: r.comment ?? "",
    createdAt: r.created_at ?? updatedAt,
    updatedAt,
    record,
  };
}

/** Satisfaction ratings (satisfaction_ratings*.json, or pages of their incremental export). */
export async function writeSatisfactionRatings(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const ratings: ImportedRating[] = [];
  for (const { rec, value } of parseRecords(ctx, "satisfaction_rating", recs, ZZendeskSatisfactionRating)) {
    const at = { sourceId: value.id ?? null, file: ctx.file, record: rec.index };
    if (!value.ticket_id) {
      ctx.tally.skip("satisfaction_rating", at, "malformed: ticket_id");
      continue;
    }
    const r = ratingOf(value, value.ticket_id, null, rec.index);
    if ("skip" in r) ctx.tally.skip("satisfaction_rating", at, r.skip, r.skip, r.sampled);
    else ratings.push(r);
  }
  await writeImportedRatings(tx, ctx, ratings);
}

/**
 * A ticket's own `satisfaction_rating` and `metric_set` (the account JSON export has them inside
 * each ticket), written after the batch's tickets, through the same writers and id-map types as the
 * separate records, so a rating given both ways is imported once.
 */
export async function writeEmbeddedHistory(
  tx: Tx,
  ctx: BatchContext,
  tickets: { rec: BatchRecord; value: ZendeskTicket }[],
): Promise<void> {
  const { tally, file } = ctx;
  const ratings: ImportedRating[] = [];
  const times: RecordedTimes[] = [];
  for (const { rec, value: t } of tickets) {
    if (t.satisfaction_rating != null) {
      tally.source("satisfaction_rating");
      const at = { sourceId: idOf(t.satisfaction_rating), file, record: rec.index };
      const p = ZZendeskSatisfactionRating.safeParse(t.satisfaction_rating);
      if (!p.success) {
        const d = describeIssues(p.error);
        tally.skip("satisfaction_rating", at, d.reason, `ticket ${t.id}: ${d.detail}`);
      } else {
        const r = ratingOf(p.data, t.id, t.updated_at ?? t.created_at, rec.index);
        if ("skip" in r) tally.skip("satisfaction_rating", at, r.skip, r.skip, r.sampled);
        else ratings.push(r);
      }
    }
    if (t.metric_set != null) {
      tally.source("ticket_metric");
      // A ticket's metric set names its ticket by being inside it; its own id may be absent in hand-made exports.
      const raw = t.metric_set as Record<string, unknown>;
      const p = ZZendeskTicketMetric.safeParse(
        typeof raw === "object" ? { id: `ticket-${t.id}`, ...raw, ticket_id: t.id } : raw,
      );
      if (!p.success) {
        const d = describeIssues(p.error);
        tally.skip(
          "ticket_metric",
          { sourceId: null, file, record: rec.index },
          d.reason,
          `ticket ${t.id}: ${d.detail}`,
        );
      } else times.push(recordedTimes(p.data, rec.index));
    }
  }
  await writeImportedRatings(tx, ctx, ratings);
  await writeRecordedTimes(tx, ctx, "ticket_metric", times);
}
