import "server-only";
import { sql } from "drizzle-orm";
import { emailAddresses } from "../db/schema/email";
import { unsafeWithSystem, type Tx } from "../db/tenant";

/** "Support <Support@Acme.test>" or "support@acme.test " → "support@acme.test"; null when it is no address. */
export function normalizeAddress(raw: string | undefined | null): string | null {
  if (!raw) return null;
  const m = /<([^<>]*)>\s*$/.exec(raw);
  const a = (m ? m[1]! : raw).trim().toLowerCase();
  return /^[^\s@<>]+@[^\s@<>]+$/.test(a) && a.length <= 320 ? a : null;
}

/** A plus-address reaches the address it extends: `support+<reply token>@acme.test` → `support@acme.test` (decision 031). */
export const baseAddress = (address: string): string => address.replace(/^([^@+]+)\+[^@]*@/, "$1@");

export type SupportAddress = { orgId: string; address: string; displayName: string };

/**
 * The org a recipient address belongs to: the intake's one cross-org lookup (the recipient is what
 * decides the org, SPEC §11), hence the system path.
 */
export async function unsafeFindSupportAddress(address: string, tx?: Tx): Promise<SupportAddress | null> {
  const base = baseAddress(address.toLowerCase());
  const run = async (t: Tx) => {
    const [row] = await t
      .select({ orgId: emailAddresses.orgId, address: emailAddresses.address, displayName: emailAddresses.displayName })
      .from(emailAddresses)
      .where(sql`lower(${emailAddresses.address}) in (${address.toLowerCase()}, ${base})`)
      .orderBy(sql`lower(${emailAddresses.address}) = ${address.toLowerCase()} desc`)
      .limit(1);
    return row ?? null;
  };
  return tx ? run(tx) : unsafeWithSystem(run);
}
