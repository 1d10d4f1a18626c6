// How many orgs, tickets, agents and customers the bench loads, and in which chunks. Pure.

export type OrgPlan = {
  /** 1 = the largest org. */
  rank: number;
  tickets: number;
  agents: number;
  customers: number;
};

export type Chunk = { orgs: OrgPlan[]; tickets: number };

export const TICKETS_AT_SCALE_1 = 1_000_000;
export const ORGS_AT_SCALE_1 = 1_000;
export const COMMENTS_PER_TICKET = 3;

/**
 * Org sizes follow a Zipf–Mandelbrot law, size ∝ 1/(rank + 2): at 1,000 orgs / 1M tickets the
 * largest org has ~56k tickets, the tenth ~14k, the hundredth ~1.6k, the median ~330 and the
 * smallest ~170 — a few big tenants, a long tail of small ones. Sizes sum exactly to `tickets`.
 */
export function planOrgs(orgCount: number, tickets: number): OrgPlan[] {
  if (orgCount < 1) throw new Error("need at least one org");
  if (tickets < orgCount) throw new Error(`need at least one ticket per org (${tickets} tickets for ${orgCount} orgs)`);
  const weights = Array.from({ length: orgCount }, (_, i) => 1 / (i + 1 + 2));
  const total = weights.reduce((a, b) => a + b, 0);
  // Largest remainder rounding, with at least one ticket each.
  const exact = weights.map((w) => 1 + ((tickets - orgCount) * w) / total);
  const sizes = exact.map(Math.floor);
  let left = tickets - sizes.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (const [, i] of order) {
    if (left-- <= 0) break;
    sizes[i]! += 1;
  }
  return sizes.map((n, i) => ({
    rank: i + 1,
    tickets: n,
    // 2–50 agents: about one per thousand tickets.
    agents: Math.max(2, Math.min(50, Math.round(n / 1000) + 2)),
    // Customers ~ tickets / 5: a customer opens five tickets on average.
    customers: Math.max(1, Math.round(n / 5)),
  }));
}

/** Groups orgs (largest first) into chunks of about `target` tickets; a big org is a chunk of its own. */
export function chunkOrgs(orgs: OrgPlan[], target: number): Chunk[] {
  const chunks: Chunk[] = [];
  let cur: Chunk = { orgs: [], tickets: 0 };
  for (const o of [...orgs].sort((a, b) => b.tickets - a.tickets)) {
    if (cur.orgs.length > 0 && cur.tickets + o.tickets > target) {
      chunks.push(cur);
      cur = { orgs: [], tickets: 0 };
    }
    cur.orgs.push(o);
    cur.tickets += o.tickets;
  }
  if (cur.orgs.length > 0) chunks.push(cur);
  return chunks;
}
