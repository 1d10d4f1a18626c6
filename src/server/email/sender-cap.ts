import "server-only";
import { sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";

// The per-sender hourly cap on new tickets by email (decision 035): a sender (or a loop that got
// past the automatic-mail checks) cannot bury the queue. Mail over the cap is held, not lost, and
// applied when the sender's window has room again.

export type CapCheck = { over: false } | { over: true; retryAt: Date; count: number };

/**
 * Whether one more ticket from this sender would pass the org's cap, counting the tickets their
 * mail opened in the last hour. Serialized per org and sender (a transaction-scoped advisory lock)
 * so two messages applied at once cannot both take the last place.
 */
export async function checkSenderCap(tx: Tx, orgId: string, sender: string, cap: number): Promise<CapCheck> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`inbound-cap:${orgId}:${sender}`}, 0))`);
  const [r] = (
    await tx.execute<{ n: number; oldest: string | null }>(sql`
    select count(*)::int as n, min(applied_at)::text as oldest from (
      select applied_at from inbound_messages
      where org_id = ${orgId} and from_address = ${sender} and outcome = 'ticket' and applied_at > now() - interval '1 hour'
      order by applied_at desc limit ${cap}
    ) recent`)
  ).rows;
  if (!r || r.n < cap || !r.oldest) return { over: false };
  // The window has room when the oldest of the last `cap` tickets is an hour old.
  return { over: true, count: r.n, retryAt: new Date(new Date(r.oldest).getTime() + 3600_000 + 5_000) };
}
