import "server-only";
import type { z } from "zod";
import type { Tx } from "../../db/tenant";
import type { BatchContext, BatchRecord } from "../batch";
import { mappedIds, mappedIdsOf } from "../id-map";
import { malformed, sourceIdOf } from "./rows";

export type Parsed<T> = { rec: BatchRecord; value: T };

/** The batch's records that fit the row's shape; the others are skipped as malformed, with the field that failed. */
export function parseRows<S extends z.ZodType>(
  ctx: BatchContext,
  type: string,
  recs: BatchRecord[],
  schema: S,
): Parsed<z.infer<S>>[] {
  const out: Parsed<z.infer<S>>[] = [];
  for (const rec of recs) {
    const r = schema.safeParse(rec.value);
    if (r.success) out.push({ rec, value: r.data });
    else {
      const m = malformed(r.error);
      ctx.tally.skip(type, { sourceId: sourceIdOf(rec.value), file: ctx.file, record: rec.index }, m.reason, m.detail);
    }
  }
  return out;
}

/**
 * The rows whose source id no earlier run mapped (each counted once; a second copy in the source
 * is skipped as a duplicate); the mapped ones are counted as already there.
 */
export async function freshRows<T>(
  tx: Tx,
  ctx: BatchContext,
  type: string,
  rows: Parsed<T>[],
  idOf: (v: T) => string,
): Promise<Parsed<T>[]> {
  const seen = new Set<string>();
  const unique = rows.filter((p) => {
    const id = idOf(p.value);
    if (seen.has(id)) {
      ctx.tally.skip(type, { sourceId: id, file: ctx.file, record: p.rec.index }, "duplicate in the source");
      return false;
    }
    seen.add(id);
    return true;
  });
  const known = await mappedIds(tx, ctx.space, type, [...seen]);
  ctx.tally.add(type, "existing", known.size);
  return unique.filter((p) => !known.has(idOf(p.value)));
}

/** Source ids → Beacon ids for the references of a batch, each named map in one statement (what is missing stays missing). */
export const refs = <K extends string>(
  tx: Tx,
  ctx: BatchContext,
  want: Record<K, [sourceType: string, sourceIds: Iterable<string | null | undefined>]>,
) => mappedIdsOf(tx, ctx.space, want);

export const skipRow = (ctx: BatchContext, type: string, p: Parsed<unknown>, reason: string, detail = reason) =>
  ctx.tally.skip(type, { sourceId: sourceIdOf(p.value), file: ctx.file, record: p.rec.index }, reason, detail);
