import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { TEXT_TYPES, txClient } from "../db/tx-client";
import { canonicalJsonFromText } from "../../lib/canonical-json";
import { canonicalEventHash, GENESIS_HASH } from "./chain";

export type VerifyResult = { valid: boolean; checked: number; firstBrokenSeq: number | null };

const BATCH = 5_000;

/** One event as verification reads it: seq, actor_id, action, entity_type, entity_id, data, request_id, prev_hash, hash, at (ISO). */
type BatchRow = [string, string | null, string, string, string | null, string, string | null, string, string, string];

// In the tenant transaction, so row-level security applies as for any read; org_id in the query too.
// Ordered by the column (audit_events.seq), not by the output column "seq", which is its text.
const BATCH_SQL = `select seq::text, actor_id, action, entity_type, entity_id, data, request_id, prev_hash, hash,
       to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')
  from audit_events where org_id = $1 and seq >= $2 and seq <= $3
  order by audit_events.seq limit $4`;

/**
 * Walks one org's chain in seq order (keyset batches, constant memory) and recomputes every hash.
 * The first event whose seq, prevHash or hash does not follow from its predecessor is reported;
 * a deleted, inserted, reordered or edited row breaks the chain at that exact seq.
 */
export function verifyChain(tx: Tx, orgId: string): Promise<VerifyResult> {
  return verifyRange(tx, orgId, 1, null);
}

/**
 * Verifies the events with seq in [from, to] (to null: to the end of the chain), as verifyChain
 * does for the whole chain. A range that does not start at 1 begins with the link check: its
 * first event's prevHash must be the stored hash of event from − 1 (whose own hash the range
 * before verifies), so ranges verified apart, in any order or at once, check every link of the
 * chain exactly once (docs/decisions/048). A bounded range must hold every seq up to `to`.
 * `checked` counts the events verified before the first break.
 */
export async function verifyRange(tx: Tx, orgId: string, from: number, to: number | null): Promise<VerifyResult> {
  if (!(Number.isInteger(from) && from >= 1) || (to !== null && !(Number.isInteger(to) && to >= from))) {
    throw new RangeError(`bad audit range [${from}, ${to}]`);
  }
  const upper = to ?? Number.MAX_SAFE_INTEGER;
  // Rows as arrays of PostgreSQL's text (no row object, no type parsing; `data` canonicalized
  // straight from its jsonb text), on the transaction's own connection: verification reads every
  // event of a chain, and the driver's row objects and the parsed `data` were much of its
  // garbage (docs/benchmarks.md).
  const client = txClient(tx);
  const fetchFrom = (fromSeq: number) =>
    client.query<BatchRow>({
      text: BATCH_SQL,
      values: [orgId, fromSeq, upper, BATCH],
      rowMode: "array",
      types: TEXT_TYPES,
    });
  let prevHash = GENESIS_HASH;
  if (from > 1) {
    const link = await tx.execute<{ hash: string }>(
      sql`select hash from audit_events where org_id = ${orgId} and seq = ${from - 1}`,
    );
    // The event before the range is missing: the chain breaks there (as a single walk would say).
    if (!link.rows[0]) return { valid: false, checked: 0, firstBrokenSeq: from - 1 };
    prevHash = link.rows[0].hash;
  }
  let expectedSeq = from;
  let checked = 0;
  let pending = fetchFrom(from);
  for (;;) {
    const rows = (await pending).rows;
    const full = rows.length === BATCH;
    // Read ahead: PostgreSQL reads the next batch while this one is hashed (the connection runs
    // the queued query as soon as this one is done). Settled before any return, so the
    // transaction never ends with a query in flight.
    if (full) pending = fetchFrom(Number(rows[rows.length - 1]![0]) + 1);
    for (const row of rows) {
      const seq = Number(row[0]);
      const hash = canonicalEventHash(prevHash, {
        orgId,
        seq,
        actorId: row[1],
        action: row[2],
        entityType: row[3],
        entityId: row[4],
        dataJson: canonicalJsonFromText(row[5]),
        requestId: row[6],
        atIso: row[9],
      });
      if (seq !== expectedSeq || row[7] !== prevHash || row[8] !== hash) {
        if (full) await pending.catch(() => undefined);
        return { valid: false, checked, firstBrokenSeq: seq !== expectedSeq ? expectedSeq : seq };
      }
      checked++;
      prevHash = row[8];
      expectedSeq++;
    }
    if (!full) {
      // A bounded range ends at `to`: events missing at its end break the chain there.
      if (to !== null && expectedSeq <= to) return { valid: false, checked, firstBrokenSeq: expectedSeq };
      return { valid: true, checked, firstBrokenSeq: null };
    }
  }
}
