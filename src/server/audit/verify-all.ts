import "server-only";
import { sql } from "drizzle-orm";
import { unsafeWithSystem, withTenant } from "../db/tenant";
import { verifyChain, type VerifyResult } from "./verify-chain";

/** Operator path (npm run audit:verify): lists orgs through the system role, verifies each in its own tenant context. */
export async function verifyAllOrgs(slug?: string): Promise<(VerifyResult & { orgId: string; slug: string })[]> {
  const out = [];
  for (const o of await unsafeListOrgs(slug)) {
    const r = await withTenant(o.id, (tx) => verifyChain(tx, o.id));
    out.push({ ...r, orgId: o.id, slug: o.slug });
  }
  return out;
}

/** Every org (or the one with this slug): the cross-org read, through the system role. */
async function unsafeListOrgs(slug?: string): Promise<{ id: string; slug: string }[]> {
  const orgs = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string; slug: string }>(
      slug ? sql`select id, slug from orgs where lower(slug) = lower(${slug})` : sql`select id, slug from orgs order by slug`,
    ),
  );
  return orgs.rows;
}
