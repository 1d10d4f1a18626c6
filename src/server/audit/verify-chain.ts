import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { eventHash, GENESIS_HASH } from "./chain";

export type VerifyResult = { valid: boolean; checked: number; firstBrokenSeq: number | null };

const BATCH = 5_000;

/**
 * Walks one org's chain in seq order (keyset batches, constant memory) and recomputes every hash.
 * The first event whose seq, prevHash or hash does not follow from its predecessor is reported;
 * a deleted, inserted, reordered or edited row breaks the chain at that exact seq.
 */
export async function verifyChain(tx: Tx, orgId: string): Promise<VerifyResult> {
  let prevHash = GENESIS_HASH;
  let expectedSeq = 1;
  let checked = 0;
  for (;;) {
    const r = await tx.execute<{
      seq_text: string; actor_id: string | null; action: string; entity_type: string; entity_id: string | null;
      data: Record<string, unknown>; request_id: string | null; prev_hash: string; hash: string; at: string;
    }>(sql`
      select seq::text as seq_text, actor_id, action, entity_type, entity_id, data, request_id, prev_hash, hash,
             to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
      from audit_events where org_id = ${orgId} and seq >= ${expectedSeq}
      order by audit_events.seq limit ${BATCH}`);
    for (const row of r.rows) {
      const seq = Number(row.seq_text);
      const hash = eventHash(prevHash, {
        orgId, seq, actorId: row.actor_id, action: row.action, entityType: row.entity_type, entityId: row.entity_id,
        data: row.data, requestId: row.request_id, at: new Date(row.at),
      });
      if (seq !== expectedSeq || row.prev_hash !== prevHash || row.hash !== hash) {
        return { valid: false, checked, firstBrokenSeq: seq !== expectedSeq ? expectedSeq : seq };
      }
      checked++;
      prevHash = row.hash;
      expectedSeq++;
    }
    if (r.rows.length < BATCH) return { valid: true, checked, firstBrokenSeq: null };
  }
}
