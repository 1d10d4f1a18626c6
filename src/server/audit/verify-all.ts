import "server-only";
import { sql } from "drizzle-orm";
import { unsafeWithSystem } from "../db/tenant";
import type { VerifyResult } from "./verify-chain";
import { verifyChainParallel } from "./verify-parallel";

/**
 * Operator path (npm run audit:verify): lists orgs through the system role, verifies each in its own
 * tenant context; a long chain in parallel ranges (verify-parallel.ts).
 */
export async function verifyAllOrgs(slug?: string): Promise<(VerifyResult & { orgId: string; slug: string })[]> {
  const out = [];
  for (const o of await unsafeListOrgs(slug)) {
    const { ranges: _ranges, ...r } = await verifyChainParallel(o.id);
    out.push({ ...r, orgId: o.id, slug: o.slug });
  }
  return out;
}

/** Every org (or the one with this slug): the cross-org read, through the system role. */
async function unsafeListOrgs(slug?: string): Promise<{ id: string; slug: string }[]> {
  const orgs = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string; slug: string }>(
      slug
        ? sql`select id, slug from orgs where lower(slug) = lower(${slug})`
        : sql`select id, slug from orgs order by slug`,
    ),
  );
  return orgs.rows;
}
