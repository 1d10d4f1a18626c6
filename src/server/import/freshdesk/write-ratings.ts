import "server-only";
import type { Tx } from "../../db/tenant";
import { parseRecords, type BatchContext, type BatchRecord } from "../batch";
import { writeImportedRatings, type ImportedRating } from "../imported-history";
import { freshdeskRating, ZFreshdeskSatisfactionRating } from "./shapes";

/**
 * Freshdesk satisfaction ratings (satisfaction_ratings*.json, GET /api/v2/surveys/satisfaction_ratings)
 * into Beacon's csat_ratings: the overall answer (`default_question`) cut at neutral (decision
 * 061: 101 to 103 good, -101 to -103 bad, 100 neutral skipped), `feedback` as the comment.
 */
export async function writeSatisfactionRatings(tx: Tx, ctx: BatchContext, recs: BatchRecord[]): Promise<void> {
  const ratings: ImportedRating[] = [];
  for (const { rec, value: r } of parseRecords(ctx, "satisfaction_rating", recs, ZFreshdeskSatisfactionRating)) {
    const rating = freshdeskRating(r.ratings.default_question);
    const at = { sourceId: r.id, file: ctx.file, record: rec.index };
    const updatedAt = r.updated_at ?? r.created_at;
    if (!rating)
      ctx.tally.skip("satisfaction_rating", at, "neutral (Beacon's ratings are good or bad)", undefined, false);
    else if (!updatedAt) ctx.tally.skip("satisfaction_rating", at, "malformed: created_at");
    else
      ratings.push({
        sourceId: r.id,
        ticketRef: r.ticket_id,
        rating,
        comment: r.feedback ?? "",
        createdAt: r.created_at ?? updatedAt,
        updatedAt,
        record: rec.index,
      });
  }
  await writeImportedRatings(tx, ctx, ratings);
}
