import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { apiTokens, users } from "../db/schema/users";
import type { Role } from "../db/schema/enums";
import { hashToken, orgOfToken } from "./api-tokens";
import { decodeSession, parseCookieHeader, sessionTokenFrom } from "./session-cookie";

/** Who is calling, verified against the database on this very request. */
export type Principal = {
  userId: string;
  orgId: string;
  role: Role;
  email: string;
  name: string;
  mustChangePassword: boolean;
  sessionVersion: number;
  via: "session" | "token";
  tokenId?: string;
};

/** What the request claims, before the database confirms it. */
export type Claim =
  | { kind: "session"; orgId: string; userId: string; sessionVersion: number }
  | { kind: "token"; orgId: string; token: string };

/**
 * Reads the bearer token or the session cookie. A malformed bearer token is a claim that will
 * fail, not an anonymous request: a client that sends credentials gets 401 for bad ones.
 */
export async function readClaim(headers: Headers): Promise<Claim | null | "invalid"> {
  const auth = headers.get("authorization");
  if (auth) {
    const m = /^Bearer\s+(\S+)$/i.exec(auth.trim());
    const orgId = m ? orgOfToken(m[1]!) : null;
    return m && orgId ? { kind: "token", orgId, token: m[1]! } : "invalid";
  }
  const raw = sessionTokenFrom(parseCookieHeader(headers.get("cookie")));
  if (!raw) return null;
  const claims = await decodeSession(raw);
  if (!claims) return "invalid";
  return { kind: "session", orgId: claims.oid, userId: claims.sub, sessionVersion: claims.sv };
}

const userColumns = {
  userId: users.id,
  orgId: users.orgId,
  role: users.role,
  email: users.email,
  name: users.name,
  mustChangePassword: users.mustChangePassword,
  blockedAt: users.blockedAt,
  sessionVersion: users.sessionVersion,
};

/**
 * Confirms a claim inside the claimed org's tenant transaction: the user exists, is not blocked,
 * and the session or token was issued at the user's current sessionVersion. Revoking (a version
 * bump) or blocking therefore takes effect on the very next request.
 */
export async function confirmClaim(tx: Tx, claim: Claim): Promise<Principal | null> {
  if (claim.kind === "session") {
    const [u] = await tx.select(userColumns).from(users).where(eq(users.id, claim.userId)).limit(1);
    if (!u || u.blockedAt || u.sessionVersion !== claim.sessionVersion) return null;
    return toPrincipal(u, "session");
  }
  const [row] = await tx
    .select({ ...userColumns, tokenId: apiTokens.id, tokenVersion: apiTokens.sessionVersion, expiresAt: apiTokens.expiresAt, revokedAt: apiTokens.revokedAt, lastUsedAt: apiTokens.lastUsedAt })
    .from(apiTokens)
    .innerJoin(users, and(eq(users.orgId, apiTokens.orgId), eq(users.id, apiTokens.userId)))
    .where(eq(apiTokens.tokenHash, hashToken(claim.token)))
    .limit(1);
  if (!row || row.blockedAt || row.revokedAt || row.tokenVersion !== row.sessionVersion) return null;
  if (row.expiresAt && row.expiresAt.getTime() <= Date.now()) return null;
  // lastUsedAt is informational: refresh it at most once a minute to keep reads write-free.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await tx.update(apiTokens).set({ lastUsedAt: sql`now()` }).where(eq(apiTokens.id, row.tokenId));
  }
  return { ...toPrincipal(row, "token"), tokenId: row.tokenId };
}

function toPrincipal(
  u: Omit<Principal, "via" | "tokenId">,
  via: Principal["via"],
): Principal {
  const { userId, orgId, role, email, name, mustChangePassword, sessionVersion } = u;
  return { userId, orgId, role, email, name, mustChangePassword, sessionVersion, via };
}
