import "server-only";
import type { Tx } from "../db/tenant";

/** Placeholder until the rating links exist (filled in below). */
export async function ratingUrls(_tx: Tx, _c: { orgId: string; base: string; ticketId: string }): Promise<Record<string, string>> {
  return {};
}
