import "server-only";
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { and, eq } from "drizzle-orm";
import { authSecret, previousAuthSecrets } from "../core/auth-secret";
import { csatRatings } from "../db/schema/customers";
import type { Tx } from "../db/tenant";

// The signed one-click rating link of a solved ticket (issue 14 item 7, decision 051):
// /rate/<payload>.<mac>?rating=good|bad. The payload names the org, the ticket and how many times
// the rating had been set when the link was made (n); the MAC (HMAC-SHA256 under a key derived from
// NEXTAUTH_SECRET, 128 bits) covers all three, so a link cannot be altered, moved to another ticket
// or org, or forged. A rating is accepted only while its n equals the stored count: each link
// changes the rating once, and the answer carries the link for the next change.

export type RatingLink = { orgId: string; ticketId: string; n: number };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

function key(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "beacon-csat-link", "beacon:csat-link:v1", 32));
}

function mac(payload: string, secret = authSecret()): Buffer {
  return createHmac("sha256", key(secret)).update(`csat|${payload}`).digest().subarray(0, 16);
}

export function signRatingLink(link: RatingLink): string {
  const payload = Buffer.from(`${link.orgId.toLowerCase()}.${link.ticketId.toLowerCase()}.${link.n}`).toString(
    "base64url",
  );
  return `${payload}.${mac(payload).toString("base64url")}`;
}

/** The link a token names when it was signed by this deployment (or under a previous secret); null otherwise. */
export function verifyRatingLink(token: string): RatingLink | null {
  const m = /^([A-Za-z0-9_-]{20,200})\.([A-Za-z0-9_-]{22})$/.exec(token);
  if (!m) return null;
  const got = Buffer.from(m[2]!, "base64url");
  if (got.length !== 16) return null;
  const ok = [authSecret(), ...previousAuthSecrets()].some((s) => timingSafeEqual(mac(m[1]!, s), got));
  if (!ok) return null;
  const [orgId, ticketId, n] = Buffer.from(m[1]!, "base64url").toString("utf8").split(".");
  if (!orgId || !ticketId || !UUID.test(orgId) || !UUID.test(ticketId) || !/^\d{1,9}$/.test(n ?? "")) return null;
  return { orgId, ticketId, n: Number(n) };
}

/** How many times the ticket's rating has been set (0: never). */
export async function ratingChanges(tx: Tx, orgId: string, ticketId: string): Promise<number> {
  const [r] = await tx
    .select({ changes: csatRatings.changes })
    .from(csatRatings)
    .where(and(eq(csatRatings.orgId, orgId), eq(csatRatings.ticketId, ticketId)))
    .limit(1);
  return r?.changes ?? 0;
}

export const ratingPageUrl = (base: string, token: string, rating?: "good" | "bad") =>
  `${base}/rate/${token}${rating ? `?rating=${rating}` : ""}`;

/** {{satisfaction.good_url}} and {{satisfaction.bad_url}} of a solve email, for the rating as it stands now. */
export async function ratingUrls(
  tx: Tx,
  c: { orgId: string; base: string; ticketId: string },
): Promise<{ "satisfaction.good_url": string; "satisfaction.bad_url": string }> {
  const token = signRatingLink({
    orgId: c.orgId,
    ticketId: c.ticketId,
    n: await ratingChanges(tx, c.orgId, c.ticketId),
  });
  return {
    "satisfaction.good_url": ratingPageUrl(c.base, token, "good"),
    "satisfaction.bad_url": ratingPageUrl(c.base, token, "bad"),
  };
}
