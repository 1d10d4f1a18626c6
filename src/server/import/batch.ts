import "server-only";
import type { z } from "zod";
import { appendAuditEvents, type AuditActor, type AuditInput } from "../audit/record-audit";
import type { Tx } from "../db/tenant";
import { mappedIds, type IdSpace } from "./id-map";
import type { Tally } from "./import-run";
import type { FetchedFile } from "./fetch-attachment";
import { describeIssues, idOf } from "./record-shape";
import { safeParseOnce } from "./parse-once";

/** A record of a batch: where it is in its file, and its JSON value (unreadable records never get here). */
export type BatchRecord = { index: number; value: unknown };

/**
 * What a batch writer works with: the id space, the batch's tally, the audit actor, the file (for
 * the report), and the batch's attachments as fetched before its transaction (bytes are never
 * downloaded while a transaction is open), by attachmentKey.
 */
export type BatchContext = {
  space: IdSpace;
  tally: Tally;
  actor: AuditActor;
  file: string;
  files?: Map<string, FetchedFile>;
};

/** An attachment's place in the source: its comment and its position there (not every export gives attachments ids). */
export const attachmentKey = (commentId: string, i: number) => `${commentId}/${i}`;

/**
 * The audit events of a batch's imported records ("ticket.imported", "user.imported" …), appended
 * in one statement (appendAuditEvents) and without telling open pages (recordAudit's live
 * publish): an import is not a change anyone is watching.
 */
export async function auditImported(tx: Tx, actor: AuditActor, inputs: AuditInput[]): Promise<void> {
  await appendAuditEvents(tx, actor, inputs);
}

/** The first record of each source id in the batch; later copies are skipped as duplicates (the report says so). */
export function firstOfEach<P extends { rec: BatchRecord; value: { id: string } }>(
  ctx: BatchContext,
  type: string,
  parsed: P[],
): P[] {
  const seen = new Set<string>();
  return parsed.filter((p) => {
    if (seen.has(p.value.id)) {
      ctx.tally.skip(type, { sourceId: p.value.id, file: ctx.file, record: p.rec.index }, "duplicate in the source");
      return false;
    }
    seen.add(p.value.id);
    return true;
  });
}

/** The batch's records that fit their shape; each one that does not is skipped as "malformed: <field>" with the detail in the report. */
export function parseRecords<T>(
  ctx: BatchContext,
  type: string,
  recs: BatchRecord[],
  shape: z.ZodType<T>,
): { rec: BatchRecord; value: T }[] {
  const out: { rec: BatchRecord; value: T }[] = [];
  for (const rec of recs) {
    const r = safeParseOnce(shape, rec.value);
    if (r.success) out.push({ rec, value: r.data });
    else {
      const d = describeIssues(r.error);
      ctx.tally.skip(type, { sourceId: idOf(rec.value), file: ctx.file, record: rec.index }, d.reason, d.detail);
    }
  }
  return out;
}

/**
 * The records of a batch that are new: the first of each source id (later copies skipped as
 * duplicates), less the ones an earlier run mapped (counted as existing). `mapType` is the id
 * map's type when it is not the report's (Freshdesk companies are mapped as organizations).
 */
export async function unmappedRecords<P extends { rec: BatchRecord; value: { id: string } }>(
  tx: Tx,
  ctx: BatchContext,
  type: string,
  parsed: P[],
  mapType = type,
): Promise<P[]> {
  const unique = firstOfEach(ctx, type, parsed);
  const known = await mappedIds(
    tx,
    ctx.space,
    mapType,
    unique.map((p) => p.value.id),
  );
  ctx.tally.add(type, "existing", known.size);
  return unique.filter((p) => !known.has(p.value.id));
}
