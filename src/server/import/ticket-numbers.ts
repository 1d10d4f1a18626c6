import "server-only";
import { and, eq, inArray, sql } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import type { Tx } from "../db/tenant";

const MAX_TICKET_NUMBER = 2_147_483_647;

/**
 * Keeps the source's ticket number where no ticket of the org has it; the others (and tickets
 * without one) get numbers past every number kept so far. The org's counter moves past all of
 * them, so tickets created later never collide with an imported one. Keyed by the source id.
 */
export async function allocateNumbers(
  tx: Tx,
  orgId: string,
  wanted: { id: string; number: string | null }[],
): Promise<Map<string, { number: number; kept: boolean }>> {
  const asked = new Set(
    wanted
      .map((w) => Number(w.number ?? NaN))
      .filter((n) => Number.isSafeInteger(n) && n >= 1 && n <= MAX_TICKET_NUMBER),
  );
  const taken = new Set(
    asked.size
      ? (
          await tx
            .select({ n: tickets.number })
            .from(tickets)
            .where(and(eq(tickets.orgId, orgId), inArray(tickets.number, [...asked])))
        ).map((r) => r.n)
      : [],
  );
  const keptNumbers = new Set<number>();
  const keep = new Set<string>();
  for (const w of wanted) {
    const n = Number(w.number ?? NaN);
    // Two source tickets asking for one number: the first keeps it.
    if (asked.has(n) && !taken.has(n) && !keptNumbers.has(n)) {
      keptNumbers.add(n);
      keep.add(w.id);
    }
  }
  const others = wanted.filter((w) => !keep.has(w.id));
  const top = keptNumbers.size ? Math.max(...keptNumbers) : 0;
  const r = await tx.execute<{ seq: number }>(
    sql`update orgs set ticket_seq = greatest(ticket_seq, ${top}) + ${others.length} where id = ${orgId} returning ticket_seq as seq`,
  );
  let next = Number(r.rows[0]!.seq) - others.length + 1;
  const out = new Map<string, { number: number; kept: boolean }>();
  for (const w of wanted)
    out.set(w.id, keep.has(w.id) ? { number: Number(w.number), kept: true } : { number: next++, kept: false });
  return out;
}
