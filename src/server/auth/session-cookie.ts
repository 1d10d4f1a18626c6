import "server-only";
import { decode, encode } from "next-auth/jwt";
import { env } from "../env";

/** The JWT claims Beacon puts in a NextAuth session (see docs/decisions/004-jwt-revocation.md). */
export type SessionClaims = { sub: string; oid: string; sv: number };

export function authSecret(): string {
  const secret = env().NEXTAUTH_SECRET;
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set (npm start generates one for the embedded demo)");
  return secret;
}

export function secureCookies(): boolean {
  return env().NEXTAUTH_URL?.startsWith("https://") ?? false;
}

export function sessionCookieName(): string {
  return `${secureCookies() ? "__Secure-" : ""}next-auth.session-token`;
}

export const SESSION_MAX_AGE_SEC = 8 * 60 * 60;

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
    return { sub: jwt.sub, oid: jwt.oid, sv: jwt.sv };
  } catch {
    return null;
  }
}

/** Mints a session cookie value exactly as NextAuth would (tests, e2e helpers). */
export function encodeSession(claims: SessionClaims): Promise<string> {
  return encode({ token: claims, secret: authSecret(), maxAge: SESSION_MAX_AGE_SEC });
}
