import "server-only";
import { decode, encode } from "next-auth/jwt";
import { env } from "../env";
import { authSecret } from "../core/auth-secret";

/**
 * The JWT claims Beacon puts in a NextAuth session (see docs/decisions/004-jwt-revocation.md):
 * user, org, sessionVersion, and `at`, the sign-in time (epoch seconds), which sliding never moves.
 */
export type SessionClaims = { sub: string; oid: string; sv: number; at: number };

export { authSecret };

export function secureCookies(): boolean {
  return env().NEXTAUTH_URL?.startsWith("https://") ?? false;
}

export function sessionCookieName(): string {
  return `${secureCookies() ? "__Secure-" : ""}next-auth.session-token`;
}

/** Idle lifetime: each visit (and GET /api/auth/session) slides it. */
export const SESSION_MAX_AGE_SEC = 8 * 60 * 60;

/** Absolute lifetime from sign-in, whatever the sliding: then the user signs in again (issue 18.13). */
export const SESSION_ABSOLUTE_MAX_SEC = 7 * 24 * 60 * 60;

const nowSec = () => Math.floor(Date.now() / 1000);

/** Whether a session signed in at `at` (epoch seconds) is still within its absolute lifetime. */
export function withinAbsoluteLifetime(at: unknown): at is number {
  return (
    typeof at === "number" && Number.isFinite(at) && at <= nowSec() + 60 && nowSec() - at < SESSION_ABSOLUTE_MAX_SEC
  );
}

/** The JWT's lifetime for a session signed in at `at`: the idle window, cut short by the absolute one. */
export function sessionTokenMaxAge(at: unknown): number {
  const left = typeof at === "number" ? at + SESSION_ABSOLUTE_MAX_SEC - nowSec() : SESSION_MAX_AGE_SEC;
  return Math.max(1, Math.min(SESSION_MAX_AGE_SEC, left));
}

/** Reads the session cookie (NextAuth may split a large one into .0, .1, … chunks). */
export function sessionTokenFrom(cookies: Map<string, string>): string | undefined {
  const name = sessionCookieName();
  const whole = cookies.get(name);
  if (whole) return whole;
  const chunks: string[] = [];
  for (let i = 0; cookies.has(`${name}.${i}`); i++) chunks.push(cookies.get(`${name}.${i}`)!);
  return chunks.length ? chunks.join("") : undefined;
}

export function parseCookieHeader(header: string | null): Map<string, string> {
  const map = new Map<string, string>();
  if (!header) return map;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const raw = part.slice(i + 1).trim();
    try {
      map.set(k, decodeURIComponent(raw));
    } catch {
      map.set(k, raw);
    }
  }
  return map;
}

export async function decodeSession(token: string): Promise<SessionClaims | null> {
  try {
    const jwt = await decode({ token, secret: authSecret() });
    if (!jwt || typeof jwt.sub !== "string" || typeof jwt.oid !== "string" || typeof jwt.sv !== "number") return null;
    // A session without a sign-in time (issued before it was stamped) or past its absolute lifetime is over.
    if (!withinAbsoluteLifetime(jwt.at)) return null;
    return { sub: jwt.sub, oid: jwt.oid, sv: jwt.sv, at: jwt.at };
  } catch {
    return null;
  }
}

/** Mints a session cookie value exactly as NextAuth would (tests, e2e helpers). */
export function encodeSession(claims: Omit<SessionClaims, "at"> & { at?: number }): Promise<string> {
  const token = { ...claims, at: claims.at ?? nowSec() };
  return encode({ token, secret: authSecret(), maxAge: sessionTokenMaxAge(token.at) });
}

/** A Set-Cookie value carrying a session exactly as NextAuth sets it (re-issuing the caller's session after a version bump). */
export async function sessionSetCookie(claims: SessionClaims): Promise<string> {
  const value = await encodeSession(claims);
  const maxAge = sessionTokenMaxAge(claims.at);
  return `${sessionCookieName()}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${secureCookies() ? "; Secure" : ""}`;
}
