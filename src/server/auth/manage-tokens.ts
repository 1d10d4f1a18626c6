import "server-only";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Scope } from "../core/scope";
import type { Tx } from "../db/tenant";
import { apiTokens } from "../db/schema/users";
import type { OrgSettings } from "../db/schema/orgs";
import { readOrgSettings } from "../orgs/org-settings";
import { AppError, notFound } from "../core/errors";
import { decodeCursor, isKeyCursor, keysetPage, type KeyCursor } from "../core/cursor";
import type { ListPage } from "../core/list-page";
import { recordAudit } from "../audit/record-audit";
import { assertCan } from "../authz/permissions";
import { mintApiToken, tokenPrefix } from "./api-tokens";
import { one } from "../core/one";

/** The hard ceiling on a token's lifetime, and the default org maximum (orgs.settings.tokenMaxDays). */
export const MAX_TOKEN_DAYS = 366;
const DAY_MS = 86_400_000;

/** An org's API-token rules: a maximum lifetime in days, and whether tokens without an expiry are allowed (off by default). */
export type TokenPolicy = { maxDays: number; allowNonExpiring: boolean };

export function tokenPolicy(
  settings: Pick<OrgSettings, "tokenMaxDays" | "allowNonExpiringTokens"> | null | undefined,
): TokenPolicy {
  const days = settings?.tokenMaxDays;
  return {
    maxDays:
      typeof days === "number" && Number.isInteger(days) && days >= 1 && days <= MAX_TOKEN_DAYS ? days : MAX_TOKEN_DAYS,
    allowNonExpiring: settings?.allowNonExpiringTokens === true,
  };
}

/**
 * When a token stops working under the org's current policy: its own expiry, but never later than
 * createdAt + maxDays, and a token without an expiry only lives past that when the org allows it.
 * So lowering the maximum (or turning off non-expiring tokens) also ends older long-lived tokens.
 */
export function effectiveTokenExpiry(t: { createdAt: Date; expiresAt: Date | null }, policy: TokenPolicy): Date | null {
  if (t.expiresAt === null && policy.allowNonExpiring) return null;
  const cap = new Date(t.createdAt.getTime() + policy.maxDays * DAY_MS);
  return t.expiresAt && t.expiresAt < cap ? t.expiresAt : cap;
}

export async function orgTokenPolicy(tx: Tx, orgId: string): Promise<TokenPolicy> {
  return tokenPolicy(await readOrgSettings(tx, orgId));
}

export const ZCreateToken = z.strictObject({
  name: z.string().trim().min(1).max(100),
  /**
   * Omitted: the org's maximum lifetime (or no expiry when the org allows tokens without one).
   * null: no expiry, only when the org allows it. A date: within the org's maximum lifetime.
   */
  expiresAt: z.iso
    .datetime({ offset: true, message: "must be an ISO-8601 date-time" })
    .nullish()
    .transform((v) => (v === undefined ? undefined : v === null ? null : new Date(v)))
    .refine((d) => !d || d.getTime() > Date.now(), { message: "must be in the future" })
    .refine((d) => !d || d.getTime() <= Date.now() + MAX_TOKEN_DAYS * DAY_MS, {
      message: `must be within ${MAX_TOKEN_DAYS} days`,
    }),
});
export type CreateToken = z.infer<typeof ZCreateToken>;

export type TokenView = {
  id: string;
  /** The non-secret start of the token string (bcn_<org>_<id>_); tokens minted before ids were added do not carry it. */
  prefix: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
};

/** Issues a token for a user at their current sessionVersion; the secret is returned once. */
export async function issueToken(
  tx: Tx,
  user: { orgId: string; userId: string; sessionVersion: number },
  name: string,
  expiresAt: Date | null,
  createdAt: Date = new Date(),
): Promise<{ id: string; token: string; expiresAt: Date | null }> {
  const { id, token, hash } = mintApiToken(user.orgId);
  const row = one(
    await tx
      .insert(apiTokens)
      .values({
        orgId: user.orgId,
        id,
        userId: user.userId,
        name,
        tokenHash: hash,
        sessionVersion: user.sessionVersion,
        expiresAt,
        createdAt,
      })
      .returning({ id: apiTokens.id, expiresAt: apiTokens.expiresAt }),
  );
  return { id: row.id, token, expiresAt: row.expiresAt };
}

const tokenIssue = (message: string) =>
  new AppError("validation_failed", `expiresAt ${message}`, { issues: [{ in: "body", path: "expiresAt", message }] });

/** The expiry a new token gets under the org's policy, or the 400 naming expiresAt. */
export function expiryUnderPolicy(requested: Date | null | undefined, policy: TokenPolicy, now: Date): Date | null {
  const max = new Date(now.getTime() + policy.maxDays * DAY_MS);
  if (requested === undefined) return policy.allowNonExpiring ? null : max;
  if (requested === null) {
    if (policy.allowNonExpiring) return null;
    throw tokenIssue(
      `is required: this organization does not allow API tokens without an expiry (at most ${policy.maxDays} days)`,
    );
  }
  if (requested.getTime() > max.getTime()) {
    throw tokenIssue(`must be within ${policy.maxDays} days (this organization's maximum API token lifetime)`);
  }
  return requested;
}

export async function createToken(scope: Scope, input: CreateToken) {
  // One "now" for the expiry and createdAt, so a default expiry equals createdAt + the maximum exactly.
  const now = new Date();
  const expiresAt = expiryUnderPolicy(input.expiresAt, await orgTokenPolicy(scope.tx, scope.user.orgId), now);
  const t = await issueToken(scope.tx, scope.user, input.name, expiresAt, now);
  return { id: t.id, token: t.token, name: input.name, expiresAt: t.expiresAt?.toISOString() ?? null };
}

/** The caller's live tokens (revoked and expired ones are not listed). */
export async function listTokens(
  scope: Scope,
  page: ListPage,
): Promise<{ data: TokenView[]; nextCursor: string | null }> {
  const rows = await scope.tx
    .select({ t: apiTokens, v: sql<string>`${apiTokens.createdAt}::text` })
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.userId, scope.user.userId),
        isNull(apiTokens.revokedAt),
        eq(apiTokens.sessionVersion, scope.user.sessionVersion),
        sql`(${apiTokens.expiresAt} is null or ${apiTokens.expiresAt} > now())`,
        page.cursor ? keysetBefore(decodeCursor("tokens", page.cursor, isKeyCursor)) : undefined,
      ),
    )
    .orderBy(desc(apiTokens.createdAt), desc(apiTokens.id))
    .limit(page.limit + 1);
  const policy = await orgTokenPolicy(scope.tx, scope.user.orgId);
  // The cursor follows the rows read; a token the org's policy has expired since is left out of
  // the page, which may then hold fewer than `limit` tokens.
  const { rows: pageRows, nextCursor } = keysetPage("tokens", rows, page.limit, (last) => ({
    v: last.v,
    id: last.t.id,
  }));
  return {
    nextCursor,
    data: pageRows
      .map((x) => x.t)
      .flatMap((r) => {
        const expires = effectiveTokenExpiry(r, policy);
        if (expires && expires.getTime() <= Date.now()) return [];
        return [
          {
            id: r.id,
            prefix: tokenPrefix(r.orgId, r.id),
            name: r.name,
            createdAt: r.createdAt.toISOString(),
            lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
            expiresAt: expires?.toISOString() ?? null,
          },
        ];
      }),
  };
}

const keysetBefore = (c: KeyCursor) =>
  sql`(${apiTokens.createdAt}, ${apiTokens.id}) < (${c.v}::timestamptz, ${c.id}::uuid)`;

/** Revokes one of the caller's own tokens; someone else's (or another org's) is 404. */
export async function revokeToken(scope: Scope, id: string): Promise<void> {
  const r = await scope.tx
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, scope.user.userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  if (r.length === 0) throw notFound("token");
}

/**
 * DELETE /api/v1/tokens/{id} (admin): revokes any token of the org by its id, the id a token string
 * carries (bcn_<org>_<id>_…). Another org's token, or one already revoked, is 404. Audited.
 */
export async function revokeOrgToken(scope: Scope, id: string): Promise<void> {
  assertCan(scope.user, "org.admin");
  const [row] = await scope.tx
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.orgId, scope.user.orgId), eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id, userId: apiTokens.userId, name: apiTokens.name });
  if (!row) throw notFound("token");
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: "token.revoked",
      entityType: "user",
      entityId: row.userId,
      data: { tokenId: row.id, name: row.name, via: "admin" },
    },
  );
}
