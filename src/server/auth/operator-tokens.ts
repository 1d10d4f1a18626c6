import "server-only";
import { and, eq, isNull, sql } from "drizzle-orm";
import { unsafeWithSystem, withTenant } from "../db/tenant";
import { apiTokens, users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { hashToken, orgOfToken, parseTokenId, tokenPrefix } from "./api-tokens";

export type OperatorRevoke =
  | {
      outcome: "revoked" | "already_revoked";
      id: string;
      orgId: string;
      userEmail: string;
      name: string;
      prefix: string;
    }
  | { outcome: "not_found" };

export class TokenRefError extends Error {}

/**
 * npm run tokens -- revoke <ref>: the operator's way to revoke one API token, found by its id (a
 * UUID, or the 32 hex characters after the org in bcn_<org>_<id>_<secret>) or by the whole token
 * string (which also finds tokens minted before ids were added). The id lookup is the one
 * cross-org read (system role); the revocation and its audit event (token.revoked, via operator)
 * run in the token's own org. Idempotent: a revoked token answers already_revoked.
 */
export async function unsafeRevokeTokenByRef(ref: string): Promise<OperatorRevoke> {
  const r = ref.trim();
  let orgId: string | null;
  let match;
  if (r.startsWith("bcn_")) {
    orgId = orgOfToken(r);
    if (!orgId)
      throw new TokenRefError("that is not a whole Beacon API token (bcn_<org>_<id>_<secret> or bcn_<org>_<secret>)");
    match = eq(apiTokens.tokenHash, hashToken(r));
  } else {
    const id = parseTokenId(r);
    if (!id) throw new TokenRefError("give a token id (a UUID or 32 hex characters) or the whole token string");
    const rows = await unsafeWithSystem((tx) =>
      tx.select({ orgId: apiTokens.orgId }).from(apiTokens).where(eq(apiTokens.id, id)).limit(2),
    );
    if (rows.length !== 1) return { outcome: "not_found" };
    orgId = rows[0]!.orgId;
    match = eq(apiTokens.id, id);
  }
  const org = orgId;
  return withTenant(org, async (tx) => {
    const [row] = await tx
      .select({
        id: apiTokens.id,
        userId: apiTokens.userId,
        name: apiTokens.name,
        revokedAt: apiTokens.revokedAt,
        userEmail: users.email,
      })
      .from(apiTokens)
      .innerJoin(users, and(eq(users.orgId, apiTokens.orgId), eq(users.id, apiTokens.userId)))
      .where(and(eq(apiTokens.orgId, org), match))
      .limit(1);
    if (!row) return { outcome: "not_found" } as const;
    const base = { id: row.id, orgId: org, userEmail: row.userEmail, name: row.name, prefix: tokenPrefix(org, row.id) };
    if (row.revokedAt) return { outcome: "already_revoked", ...base } as const;
    await tx
      .update(apiTokens)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(apiTokens.orgId, org), eq(apiTokens.id, row.id), isNull(apiTokens.revokedAt)));
    await recordAudit(
      tx,
      { orgId: org, actorId: null, requestId: null },
      {
        action: "token.revoked",
        entityType: "user",
        entityId: row.userId,
        data: { tokenId: row.id, name: row.name, via: "operator" },
      },
    );
    return { outcome: "revoked", ...base } as const;
  });
}
