import "server-only";
import { and, desc, eq, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import type { Ctx } from "../http/route";
import type { Tx } from "../db/tenant";
import { apiTokens } from "../db/schema/users";
import { notFound } from "../http/errors";
import { mintApiToken } from "./api-tokens";

export const MAX_TOKEN_DAYS = 366;
const DAY_MS = 86_400_000;

export const ZCreateToken = z.strictObject({
  name: z.string().trim().min(1).max(100),
  expiresAt: z.iso
    .datetime({ offset: true, message: "must be an ISO-8601 date-time" })
    .nullish()
    .transform((v) => (v ? new Date(v) : null))
    .refine((d) => d === null || d.getTime() > Date.now(), { message: "must be in the future" })
    .refine((d) => d === null || d.getTime() <= Date.now() + MAX_TOKEN_DAYS * DAY_MS, {
      message: `must be within ${MAX_TOKEN_DAYS} days`,
    }),
});
export type CreateToken = z.infer<typeof ZCreateToken>;

export type TokenView = {
  id: string;
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
): Promise<{ id: string; token: string; expiresAt: Date | null }> {
  const { token, hash } = mintApiToken(user.orgId);
  const [row] = await tx
    .insert(apiTokens)
    .values({ orgId: user.orgId, userId: user.userId, name, tokenHash: hash, sessionVersion: user.sessionVersion, expiresAt })
    .returning({ id: apiTokens.id, expiresAt: apiTokens.expiresAt });
  return { id: row!.id, token, expiresAt: row!.expiresAt };
}

export async function createToken(ctx: Ctx, input: CreateToken) {
  const t = await issueToken(ctx.tx, ctx.user, input.name, input.expiresAt);
  return { id: t.id, token: t.token, name: input.name, expiresAt: t.expiresAt?.toISOString() ?? null };
}

/** The caller's live tokens (revoked and expired ones are not listed). */
export async function listTokens(ctx: Ctx): Promise<{ data: TokenView[] }> {
  const rows = await ctx.tx
    .select()
    .from(apiTokens)
    .where(
      and(
        eq(apiTokens.userId, ctx.user.userId),
        isNull(apiTokens.revokedAt),
        eq(apiTokens.sessionVersion, ctx.user.sessionVersion),
        sql`(${apiTokens.expiresAt} is null or ${apiTokens.expiresAt} > now())`,
      ),
    )
    .orderBy(desc(apiTokens.createdAt));
  return {
    data: rows.map((r) => ({
      id: r.id,
      name: r.name,
      createdAt: r.createdAt.toISOString(),
      lastUsedAt: r.lastUsedAt?.toISOString() ?? null,
      expiresAt: r.expiresAt?.toISOString() ?? null,
    })),
  };
}

/** Revokes one of the caller's own tokens; someone else's (or another org's) is 404. */
export async function revokeToken(ctx: Ctx, id: string): Promise<void> {
  const r = await ctx.tx
    .update(apiTokens)
    .set({ revokedAt: sql`now()` })
    .where(and(eq(apiTokens.id, id), eq(apiTokens.userId, ctx.user.userId), isNull(apiTokens.revokedAt)))
    .returning({ id: apiTokens.id });
  if (r.length === 0) throw notFound("token");
}
