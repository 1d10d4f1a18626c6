import "server-only";
import os from "node:os";
import { Worker } from "node:worker_threads";
import { sql } from "drizzle-orm";
import { withTenant } from "../db/tenant";
import { verifyChain, type VerifyResult } from "./verify-chain";

/** Below this many events per range, one walk is cheaper than starting threads. */
export const MIN_EVENTS_PER_RANGE = 100_000;

/** [from, to] ranges covering seq 1…last in `parts` near-equal pieces; the last one is open-ended (to null). */
export function splitRanges(last: number, parts: number): [number, number | null][] {
  const n = Math.max(1, Math.min(parts, last));
  const size = Math.ceil(last / n);
  const out: [number, number | null][] = [];
  for (let from = 1; from <= last; from += size) out.push([from, from + size - 1 >= last ? null : from + size - 1]);
  return out;
}

/** One result for the whole chain from its ranges' results: the first break of any range is the chain's. */
export function combineRanges(results: VerifyResult[]): VerifyResult {
  const breaks = results.flatMap((r) => (r.valid ? [] : [r.firstBrokenSeq!]));
  if (breaks.length === 0)
    return { valid: true, checked: results.reduce((a, r) => a + r.checked, 0), firstBrokenSeq: null };
  const first = Math.min(...breaks);
  // Every event before the first break was verified (by one range or another).
  return { valid: false, checked: first - 1, firstBrokenSeq: first };
}

/**
 * verifyChain() in parallel (docs/decisions/048): the chain's seq range is cut into `parts` ranges
 * (default: the machine's cores; fewer when the chain is short), each verified by verifyRange() in
 * a worker thread with its own connection and tenant transaction, with the link check at each
 * range's start. Hashing is what a single walk waits for (Node's one thread), so the threads
 * share it out. Same answer as verifyChain(): valid, the events checked, the first broken seq.
 * For scripts (npm run audit:verify, restore, bench): the worker loads the TypeScript sources
 * through tsx, which Next's bundle does not have (the API's GET /audit/verify walks in-request).
 */
export async function verifyChainParallel(
  orgId: string,
  opts: { parts?: number; minEventsPerRange?: number } = {},
): Promise<VerifyResult & { ranges: number }> {
  const last = await withTenant(orgId, async (tx) =>
    Number(
      (
        await tx.execute<{ last: string | null }>(
          sql`select max(seq)::text as last from audit_events where org_id = ${orgId}`,
        )
      ).rows[0]?.last ?? 0,
    ),
  );
  const byLength = Math.floor(last / (opts.minEventsPerRange ?? MIN_EVENTS_PER_RANGE));
  const parts = Math.max(1, Math.min(opts.parts ?? os.availableParallelism(), byLength));
  if (parts === 1) return { ...(await withTenant(orgId, (tx) => verifyChain(tx, orgId))), ranges: 1 };
  const ranges = splitRanges(last, parts);
  const results = await Promise.all(ranges.map(([from, to]) => inWorker(orgId, from, to)));
  return { ...combineRanges(results), ranges: ranges.length };
}

function inWorker(orgId: string, from: number, to: number | null): Promise<VerifyResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL("./verify-worker.mjs", import.meta.url), { workerData: { orgId, from, to } });
    let settled = false;
    worker.once("message", (m: { ok: true; result: VerifyResult } | { ok: false; error: string }) => {
      settled = true;
      if (m.ok) resolve(m.result);
      else reject(new Error(`audit range [${from}, ${to ?? "end"}]: ${m.error}`));
    });
    worker.once("error", (err) => {
      settled = true;
      reject(err);
    });
    worker.once("exit", (code) => {
      if (!settled)
        reject(new Error(`audit range [${from}, ${to ?? "end"}]: worker exited with code ${code} before answering`));
    });
  });
}
