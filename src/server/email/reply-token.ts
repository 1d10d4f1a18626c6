import "server-only";
import { createHmac, hkdfSync, timingSafeEqual } from "node:crypto";
import { authSecret } from "../auth/session-cookie";
import { previousAuthSecrets } from "../core/auth-secret";
import { base32Encode } from "../auth/totp";

// The signed reply token Beacon puts in the Reply-To of a reply it emails (decision 031):
// `support+<number base36>-<mac>@domain`. The MAC (HMAC-SHA256 under a key derived from
// NEXTAUTH_SECRET, 80 bits, base32 lower case because mail systems may fold the local part's case)
// covers the org's id and the ticket number, so a token cannot be forged, and a token of one org
// verifies for no other org.

function key(secret: string): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "beacon-reply-token", "beacon:reply-token:v1", 32));
}

function mac(orgId: string, ticketNumber: number, secret = authSecret()): string {
  return base32Encode(
    createHmac("sha256", key(secret)).update(`reply|${orgId.toLowerCase()}|${ticketNumber}`).digest().subarray(0, 10),
  ).toLowerCase();
}

export function replyToken(orgId: string, ticketNumber: number): string {
  return `${ticketNumber.toString(36)}-${mac(orgId, ticketNumber)}`;
}

/** `support@acme.test` → `support+<token>@acme.test`. */
export function replyAddress(supportAddress: string, orgId: string, ticketNumber: number): string {
  const at = supportAddress.lastIndexOf("@");
  const local = supportAddress.slice(0, at).split("+")[0]!;
  return `${local}+${replyToken(orgId, ticketNumber)}@${supportAddress.slice(at + 1)}`;
}

/** The tag of a plus-address (`a+tag@b` → `tag`), or null. */
export function plusTag(address: string): string | null {
  const m = /^[^@+]+\+([^@]+)@[^@]+$/.exec(address);
  return m ? m[1]! : null;
}

/**
 * The ticket number a token names when it was signed for this org; null for no token, a forged
 * one, or one signed for another org (the caller threads by the other rules, within its org).
 */
export function verifyReplyToken(token: string, orgId: string): number | null {
  const m = /^([0-9a-z]{1,7})-([a-z2-7]{16})$/.exec(token.toLowerCase());
  if (!m) return null;
  const n = parseInt(m[1]!, 36);
  if (!Number.isSafeInteger(n) || n <= 0) return null;
  const got = Buffer.from(m[2]!);
  // Tokens in mail sent before NEXTAUTH_SECRET was rotated keep threading while the old secret is
  // listed in NEXTAUTH_SECRET_PREVIOUS.
  for (const secret of [authSecret(), ...previousAuthSecrets()]) {
    const want = Buffer.from(mac(orgId, n, secret));
    if (want.length === got.length && timingSafeEqual(want, got)) return n;
  }
  return null;
}
