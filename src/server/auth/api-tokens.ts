import "server-only";
import { createHash, randomBytes, randomUUID } from "node:crypto";

// Token format: bcn_<org id, 32 hex>_<token id, 32 hex>_<43 chars of base64url randomness (256 bits)>.
// The org id lets the request be resolved inside that org's RLS context without any cross-org
// lookup; the token id is the api_tokens row's id, so a token found in a log or a leak can be
// revoked by it (DELETE /api/v1/tokens/{id}, npm run tokens -- revoke). Only sha256(token) is
// stored. Tokens minted before the id was added (bcn_<org>_<secret>) stay valid.
const TOKEN_RE = /^bcn_([0-9a-f]{32})_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;
const LEGACY_TOKEN_RE = /^bcn_([0-9a-f]{32})_([A-Za-z0-9_-]{43})$/;

export function mintApiToken(orgId: string): { id: string; token: string; hash: string } {
  const id = randomUUID();
  const token = `${tokenPrefix(orgId, id)}${randomBytes(32).toString("base64url")}`;
  return { id, token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

/** The org a well-formed token claims, or null (the hash lookup decides whether it is real). */
export function orgOfToken(token: string): string | null {
  const m = TOKEN_RE.exec(token) ?? LEGACY_TOKEN_RE.exec(token);
  return m ? hexToUuid(m[1]!) : null;
}

/** The token id a token string carries (null for a pre-id token or a malformed string). */
export function idOfToken(token: string): string | null {
  const m = TOKEN_RE.exec(token);
  return m ? hexToUuid(m[2]!) : null;
}

/** The visible, non-secret start of a token with this id: what a list shows and a log may carry. */
export function tokenPrefix(orgId: string, id: string): string {
  return `bcn_${orgId.replace(/-/g, "")}_${id.replace(/-/g, "")}_`;
}

/** A token id given as a UUID or as the 32 hex characters a token string carries, as a UUID; null otherwise. */
export function parseTokenId(s: string): string | null {
  const hex = s.trim().toLowerCase().replace(/-/g, "");
  return /^[0-9a-f]{32}$/.test(hex) ? hexToUuid(hex) : null;
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
