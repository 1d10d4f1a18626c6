import "server-only";
import { createHash, randomBytes } from "node:crypto";

// Token format: bcn_<org id, 32 hex>_<43 chars of base64url randomness (256 bits)>.
// The org id lets the request be resolved inside that org's RLS context without any cross-org
// lookup; only sha256(token) is stored.
const TOKEN_RE = /^bcn_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function mintApiToken(orgId: string): { token: string; hash: string } {
  const token = `bcn_${orgId.replace(/-/g, "")}_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The org a well-formed token claims, or null (the hash lookup decides whether it is real). */
export function orgOfToken(token: string): string | null {
  const m = TOKEN_RE.exec(token);
  return m ? hexToUuid(m[1]!) : null;
}

function hexToUuid(h: string): string {
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** One-time links (setup, invite, reset) use the same shape with a different prefix. */
export function mintLinkToken(orgId: string): { token: string; hash: string } {
  const token = `${orgId.replace(/-/g, "")}.${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashToken(token) };
}

export function orgOfLinkToken(token: string): string | null {
  const m = /^([0-9a-f]{32})\.([A-Za-z0-9_-]{43})$/.exec(token);
  return m ? hexToUuid(m[1]!) : null;
}
