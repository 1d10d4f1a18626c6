import "server-only";
import { and, eq, gt, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { withTenant } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { oneTimeTokens, users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { env } from "../env";
import { assertFeatureEnabled } from "../flags/flags";
import { AppError } from "../core/errors";
import { logger } from "../observability/logger";
import type { Tx } from "../db/tenant";
import { hashToken, mintLinkToken, orgOfLinkToken } from "./api-tokens";
import { hashPassword } from "./password";
import { assertPasswordNotPersonal, ZNewPassword } from "./password-policy";

// A setup link (bootstrap), an invitation and a password reset all let a user choose a password
// on the same page and endpoint; they differ only in the message that carried them.
const PASSWORD_LINK_PURPOSES = ["setup", "invite", "password_reset"] as const;
export type PasswordLinkPurpose = (typeof PASSWORD_LINK_PURPOSES)[number];

/** Invitations and reset links live as long as a bootstrap setup link: 24 hours. */
export const LINK_HOURS = 24;

export const ZCompleteSetup = z.strictObject({
  token: z.string().trim().min(1).max(200),
  password: ZNewPassword,
});
export type CompleteSetup = z.infer<typeof ZCompleteSetup>;

/** Where a one-time link points: NEXTAUTH_URL when set, else this machine's port. */
export function setupUrl(token: string): string {
  const base = (env().NEXTAUTH_URL ?? `http://localhost:${env().PORT}`).replace(/\/+$/, "");
  return `${base}/setup/${encodeURIComponent(token)}`;
}

// Wrong, used and expired links get one answer: which of them it was is nobody's business.
const invalidLink = () => new AppError("not_found", "this link is invalid or has expired");

function orgOrMalformed(token: string): string {
  const orgId = orgOfLinkToken(token);
  if (!orgId) {
    throw new AppError(
      "validation_failed",
      "this link is malformed; copy the whole link from the message you received",
      {
        issues: [{ in: "body", path: "token", message: "is not a valid link token" }],
      },
    );
  }
  return orgId;
}

const usable = (hash: string) =>
  and(
    eq(oneTimeTokens.tokenHash, hash),
    inArray(oneTimeTokens.purpose, [...PASSWORD_LINK_PURPOSES]),
    isNull(oneTimeTokens.usedAt),
    gt(oneTimeTokens.expiresAt, sql`now()`),
  );

/**
 * Creates a one-time link for a user in the caller's transaction; only its hash is stored. The
 * token is returned once, for the message (or the admin) that carries it.
 */
export async function createPasswordLink(
  tx: Tx,
  user: { orgId: string; userId: string },
  purpose: Exclude<PasswordLinkPurpose, "setup">,
): Promise<{ token: string; url: string; expiresAt: Date }> {
  const link = mintLinkToken(user.orgId);
  const expiresAt = new Date(Date.now() + LINK_HOURS * 3_600_000);
  // A new link replaces any older one still outstanding for the same user.
  await tx
    .update(oneTimeTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(oneTimeTokens.userId, user.userId),
        inArray(oneTimeTokens.purpose, [...PASSWORD_LINK_PURPOSES]),
        isNull(oneTimeTokens.usedAt),
      ),
    );
  await tx
    .insert(oneTimeTokens)
    .values({ orgId: user.orgId, userId: user.userId, purpose, tokenHash: link.hash, expiresAt });
  return { token: link.token, url: setupUrl(link.token), expiresAt };
}

/**
 * Redeems a setup, invitation or password-reset link: sets the user's password, clears mustChangePassword, bumps
 * sessionVersion (ending any older session) and spends the link, all in one transaction in the
 * org the token names. Returns what the sign-in page needs to prefill.
 */
export async function completeSetup(
  input: CompleteSetup,
  requestId: string | null = null,
): Promise<{ email: string; org: string }> {
  const orgId = orgOrMalformed(input.token);
  const hash = hashToken(input.token);
  const result = await withTenant(orgId, async (tx) => {
    // The conditional update is the claim: of two concurrent redemptions only one gets the row.
    const [claimed] = await tx
      .update(oneTimeTokens)
      .set({ usedAt: sql`now()` })
      .where(usable(hash))
      .returning({ userId: oneTimeTokens.userId, purpose: oneTimeTokens.purpose });
    if (!claimed) throw invalidLink();
    // Sign-up links (bootstrap setup, invitation) obey the signup_tokens switch; a reset link of
    // an existing account does not. Throwing here rolls the claim back: the link stays usable.
    if (claimed.purpose !== "password_reset") await assertFeatureEnabled(tx, orgId, "signup_tokens");
    // Throwing here also rolls the claim back: a refused password leaves the link usable.
    const [who] = await tx
      .select({ email: users.email, name: users.name })
      .from(users)
      .where(eq(users.id, claimed.userId));
    assertPasswordNotPersonal(input.password, who ?? {}, "password");
    const passwordHash = await hashPassword(input.password);
    const [user] = await tx
      .update(users)
      .set({
        passwordHash,
        mustChangePassword: false,
        sessionVersion: sql`${users.sessionVersion} + 1`,
        updatedAt: sql`now()`,
      })
      .where(and(eq(users.id, claimed.userId), isNull(users.blockedAt)))
      .returning({ id: users.id, email: users.email });
    if (!user) throw invalidLink();
    // Any other outstanding link for this user is now pointless; spend it too.
    await tx
      .update(oneTimeTokens)
      .set({ usedAt: sql`now()` })
      .where(
        and(
          eq(oneTimeTokens.userId, user.id),
          inArray(oneTimeTokens.purpose, [...PASSWORD_LINK_PURPOSES]),
          isNull(oneTimeTokens.usedAt),
        ),
      );
    await recordAudit(
      tx,
      { orgId, actorId: user.id, requestId },
      {
        action: "user.password_set",
        entityType: "user",
        entityId: user.id,
        data: { via: "one_time_link", purpose: claimed.purpose },
      },
    );
    const [org] = await tx.select({ slug: orgs.slug }).from(orgs).where(eq(orgs.id, orgId));
    return { userId: user.id, email: user.email, org: org!.slug };
  });
  logger().info({ event: "setup_link_redeemed", userId: result.userId, orgId }, "password set from a one-time link");
  return { email: result.email, org: result.org };
}

/** For the setup page: whom a still-usable link is for, without spending it; null otherwise. */
export async function inspectSetupLink(
  token: string,
): Promise<{ email: string; name: string; orgName: string; purpose: PasswordLinkPurpose } | null> {
  const orgId = orgOfLinkToken(token);
  if (!orgId) return null;
  return withTenant(orgId, async (tx) => {
    const [row] = await tx
      .select({ email: users.email, name: users.name, orgName: orgs.name, purpose: oneTimeTokens.purpose })
      .from(oneTimeTokens)
      .innerJoin(users, and(eq(users.orgId, oneTimeTokens.orgId), eq(users.id, oneTimeTokens.userId)))
      .innerJoin(orgs, eq(orgs.id, oneTimeTokens.orgId))
      .where(and(usable(hashToken(token)), isNull(users.blockedAt)));
    return row ?? null;
  });
}
