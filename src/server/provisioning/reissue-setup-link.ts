import "server-only";
import { and, asc, eq, isNull, sql } from "drizzle-orm";
import { recordAudit } from "../audit/record-audit";
import { mintLinkToken } from "../auth/api-tokens";
import { setupUrl } from "../auth/setup-link";
import { enterTenant, unsafeWithSystem } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { oneTimeTokens, users } from "../db/schema/users";
import { isFeatureEnabled } from "../flags/flags";
import { AppError } from "../core/errors";
import { SETUP_LINK_HOURS } from "./bootstrap-org";

export type ReissuedLink = {
  org: { id: string; name: string; slug: string };
  admin: { id: string; email: string };
  setupToken: string;
  setupUrl: string;
  expiresAt: Date;
  /** Earlier links of this admin that were still usable and are now spent. */
  revoked: number;
};

/**
 * A lost setup link (npm run bootstrap -- --reissue <slug>): a fresh single-use link for the
 * org's first admin who never chose a password, spending every earlier link of theirs, without
 * creating another org. An admin who has a password is refused: a password reset from the users
 * admin is the way for them.
 */
export async function reissueSetupLink(slugInput: string, now = new Date()): Promise<ReissuedLink> {
  const slug = slugInput.trim().toLowerCase();
  const expiresAt = new Date(now.getTime() + SETUP_LINK_HOURS * 3_600_000);
  // As the system role: the org is found by its slug, before any tenant can be entered.
  const unsafeReissue = () =>
    unsafeWithSystem(async (tx) => {
      const [org] = await tx
        .select({ id: orgs.id, name: orgs.name, slug: orgs.slug })
        .from(orgs)
        .where(sql`lower(${orgs.slug}) = ${slug}`);
      if (!org) throw new AppError("not_found", `no organization with the slug "${slug}"`);
      await enterTenant(tx, org.id);
      if (!(await isFeatureEnabled(tx, org.id, "signup_tokens"))) {
        throw new AppError(
          "feature_disabled",
          "sign-up links (feature signup_tokens) are switched off, so a setup link could not be used; switch them back on first",
          { feature: "signup_tokens" },
        );
      }
      const [admin] = await tx
        .select({ id: users.id, email: users.email })
        .from(users)
        .where(
          and(eq(users.orgId, org.id), eq(users.role, "admin"), isNull(users.passwordHash), isNull(users.blockedAt)),
        )
        .orderBy(asc(users.createdAt))
        .limit(1)
        .for("update");
      if (!admin) {
        throw new AppError(
          "conflict",
          `every admin of "${org.slug}" has already chosen a password; an admin resets passwords from the users admin (POST /api/v1/users/:id/reset-password)`,
        );
      }
      const revoked = await tx
        .update(oneTimeTokens)
        .set({ usedAt: sql`now()` })
        .where(and(eq(oneTimeTokens.userId, admin.id), isNull(oneTimeTokens.usedAt)))
        .returning({ id: oneTimeTokens.id });
      const link = mintLinkToken(org.id);
      await tx
        .insert(oneTimeTokens)
        .values({ orgId: org.id, userId: admin.id, purpose: "setup", tokenHash: link.hash, expiresAt });
      await recordAudit(
        tx,
        { orgId: org.id, actorId: null, requestId: null },
        {
          action: "org.setup_link_reissued",
          entityType: "user",
          entityId: admin.id,
          data: {
            by: "operator",
            adminEmail: admin.email,
            revoked: revoked.length,
            setupLinkExpiresAt: expiresAt.toISOString(),
          },
        },
      );
      return { org, admin, setupToken: link.token, setupUrl: setupUrl(link.token), expiresAt, revoked: revoked.length };
    });
  return unsafeReissue();
}
