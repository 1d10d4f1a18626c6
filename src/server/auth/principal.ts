import "server-only";
import { and, eq, sql } from "drizzle-orm";
import type { Tx } from "../db/tenant";
import { apiTokens, users } from "../db/schema/users";
import { orgs, type OrgSettings } from "../db/schema/orgs";
import type { Role } from "../db/schema/enums";
import type { Principal } from "../core/principal";
import { hashToken, idOfToken, orgOfToken } from "./api-tokens";
import { effectiveTokenExpiry, tokenPolicy } from "./manage-tokens";
import { decodeSession, parseCookieHeader, sessionTokenFrom } from "./session-cookie";
import { precompiled } from "../db/precompiled";

export type { Principal };

/** Admins may require two-factor sign-in for the org's staff (agents and admins), not customers. */
export function twoFactorRequiredFor(role: Role, settings: { require2fa?: boolean } | null | undefined): boolean {
  return settings?.require2fa === true && (role === "agent" || role === "admin");
}

/** A step the user must take before the rest of the API opens up, and the route flag that lets a route through anyway. */
export type PendingStep =
  | { reason: "password_change_required"; message: string; allowedBy: "allowPendingPasswordChange" }
  | { reason: "2fa_setup_required"; message: string; allowedBy: "allowPendingTwoFactorSetup" };

export function pendingStep(
  user: Pick<Principal, "mustChangePassword" | "twoFactorSetupRequired">,
): PendingStep | null {
  if (user.mustChangePassword) {
    return {
      reason: "password_change_required",
      message: "you must change your password first",
      allowedBy: "allowPendingPasswordChange",
    };
  }
  if (user.twoFactorSetupRequired) {
    return {
      reason: "2fa_setup_required",
      message: "your organization requires two-factor sign-in; set it up first (POST /api/v1/me/2fa/setup)",
      allowedBy: "allowPendingTwoFactorSetup",
    };
  }
  return null;
}

/** What the request claims, before the database confirms it. */
export type Claim =
  | { kind: "session"; orgId: string; userId: string; sessionVersion: number; authTime: number }
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
  return { kind: "session", orgId: claims.oid, userId: claims.sub, sessionVersion: claims.sv, authTime: claims.at };
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
  totpEnabledAt: users.totpEnabledAt,
  orgSettings: orgs.settings,
};

/**
 * The bearer token's row with its user and org, by sha256 of the token: every API request with a
 * token runs it, so it is built once and sent as a named prepared statement (db/precompiled.ts).
 */
const tokenLookup = precompiled<UserRow & TokenColumns>("beacon_confirm_token", (db) =>
  db
    .select({
      ...userColumns,
      tokenId: apiTokens.id,
      tokenVersion: apiTokens.sessionVersion,
      createdAt: apiTokens.createdAt,
      expiresAt: apiTokens.expiresAt,
      revokedAt: apiTokens.revokedAt,
      lastUsedAt: apiTokens.lastUsedAt,
    })
    .from(apiTokens)
    .innerJoin(users, and(eq(users.orgId, apiTokens.orgId), eq(users.id, apiTokens.userId)))
    .innerJoin(orgs, eq(orgs.id, users.orgId))
    .where(eq(apiTokens.tokenHash, sql.placeholder("hash")))
    .limit(1),
);

type TokenColumns = {
  tokenId: string;
  tokenVersion: number;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
  blockedAt: Date | null;
};

/**
 * Confirms a claim inside the claimed org's tenant transaction: the user exists, is not blocked,
 * and the session or token was issued at the user's current sessionVersion. Revoking (a version
 * bump) or blocking therefore takes effect on the very next request.
 */
export async function confirmClaim(tx: Tx, claim: Claim): Promise<Principal | null> {
  if (claim.kind === "session") {
    const [u] = await tx
      .select(userColumns)
      .from(users)
      .innerJoin(orgs, eq(orgs.id, users.orgId))
      .where(eq(users.id, claim.userId))
      .limit(1);
    if (!u || u.blockedAt || u.sessionVersion !== claim.sessionVersion) return null;
    return { ...toPrincipal(u, "session"), authTime: claim.authTime };
  }
  const [row] = await tokenLookup(tx, { hash: hashToken(claim.token) });
  if (!row || row.blockedAt || row.revokedAt || row.tokenVersion !== row.sessionVersion) return null;
  // A token carrying its id must be the row with that id (the hash already decides; this keeps the two in step).
  const claimedId = idOfToken(claim.token);
  if (claimedId && claimedId !== row.tokenId) return null;
  // The org's maximum token lifetime applies to tokens issued before it was lowered, too.
  const expires = effectiveTokenExpiry(row, tokenPolicy(row.orgSettings));
  if (expires && expires.getTime() <= Date.now()) return null;
  // lastUsedAt is informational: refresh it at most once a minute to keep reads write-free.
  if (!row.lastUsedAt || Date.now() - row.lastUsedAt.getTime() > 60_000) {
    await tx
      .update(apiTokens)
      .set({ lastUsedAt: sql`now()` })
      .where(eq(apiTokens.id, row.tokenId));
  }
  return { ...toPrincipal(row, "token"), tokenId: row.tokenId };
}

type UserRow = Omit<Principal, "via" | "tokenId" | "twoFactorSetupRequired"> & {
  totpEnabledAt: Date | null;
  orgSettings: OrgSettings | null;
};

function toPrincipal(u: UserRow, via: Principal["via"]): Principal {
  const { userId, orgId, role, email, name, mustChangePassword, sessionVersion } = u;
  const twoFactorSetupRequired = twoFactorRequiredFor(role, u.orgSettings) && u.totpEnabledAt === null;
  return { userId, orgId, role, email, name, mustChangePassword, twoFactorSetupRequired, sessionVersion, via };
}
