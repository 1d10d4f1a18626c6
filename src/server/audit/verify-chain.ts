import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { GENESIS_HASH, storedEventHash } from "./chain";

export type VerifyResult = { valid: boolean; checked: number; firstBrokenSeq: number | null };

const BATCH = 5_000;

/**
 * Walks one org's chain in seq order (keyset batches, constant memory) and recomputes every hash.
 * The first event whose seq, prevHash or hash does not follow from its predecessor is reported;
 * a deleted, inserted, reordered or edited row breaks the chain at that exact seq.
 */
export async function verifyChain(tx: Tx, orgId: string): Promise<VerifyResult> {
  const fetchFrom = (fromSeq: number) =>
    tx.execute<{
      seq_text: string; actor_id: string | null; action: string; entity_type: string; entity_id: string | null;
      data: Record<string, unknown>; request_id: string | null; prev_hash: string; hash: string; at: string;
    }>(sql`
      select seq::text as seq_text, actor_id, action, entity_type, entity_id, data, request_id, prev_hash, hash,
             to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
      from audit_events where org_id = ${orgId} and seq >= ${fromSeq}
      order by audit_events.seq limit ${BATCH}`);
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  let pending = fetchFrom(1);
  for (;;) {
    const rows = (await pending).rows;
    const full = rows.length === BATCH;
    // Read ahead: PostgreSQL reads the next batch while this one is hashed (the connection runs
    // the queued query as soon as this one is done). Settled before any return, so the
    // transaction never ends with a query in flight.
    if (full) pending = fetchFrom(Number(rows[rows.length - 1]!.seq_text) + 1);
    for (const row of rows) {
      const seq = Number(row.seq_text);
      const hash = storedEventHash(prevHash, {
        orgId, seq, actorId: row.actor_id, action: row.action, entityType: row.entity_type, entityId: row.entity_id,
        data: row.data, requestId: row.request_id, atIso: row.at,
      });
      if (seq !== expectedSeq || row.prev_hash !== prevHash || row.hash !== hash) {
        if (full) await pending.catch(() => undefined);
        return { valid: false, checked, firstBrokenSeq: seq !== expectedSeq ? expectedSeq : seq };
      }
      checked++;
      prevHash = row.hash;
      expectedSeq++;
    }
    if (!full) return { valid: true, checked, firstBrokenSeq: null };
  }
}
