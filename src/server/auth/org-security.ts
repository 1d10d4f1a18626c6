import "server-only";
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { z } from "zod";
import { users } from "../db/schema/users";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { readOrgSettings, saveOrgSettings } from "../orgs/org-settings";
import { assertCan, STAFF_ROLES } from "../authz/permissions";
import { MAX_TOKEN_DAYS, tokenPolicy } from "./manage-tokens";

export const ZOrgSecurity = z
  .strictObject({
    /** Agents and admins must sign in with two-factor; until they set it up they may only reach /me and /me/2fa. */
    require2fa: z.boolean().optional(),
    /** Longest lifetime of an API token, in days; also ends older tokens past it. */
    tokenMaxDays: z.number().int().min(1).max(MAX_TOKEN_DAYS).optional(),
    /** Whether API tokens without an expiry are allowed (off by default). */
    allowNonExpiringTokens: z.boolean().optional(),
  })
  .refine((v) => Object.keys(v).length > 0, {
    message: "send at least one of require2fa, tokenMaxDays, allowNonExpiringTokens",
  });
export type OrgSecurity = z.infer<typeof ZOrgSecurity>;

export const ZOrgSecurityView = z.object({
  require2fa: z.boolean(),
  /** Active agents and admins without two-factor sign-in (restricted while it is required). */
  staffWithoutTwoFactor: z.number().int(),
  tokenMaxDays: z.number().int(),
  allowNonExpiringTokens: z.boolean(),
});
export type OrgSecurityView = z.infer<typeof ZOrgSecurityView>;

export async function getOrgSecurity(scope: Scope): Promise<OrgSecurityView> {
  assertCan(scope.user, "org.admin");
  const settings = await readOrgSettings(scope.tx, scope.user.orgId);
  const [n] = await scope.tx
    .select({ n: sql<number>`count(*)::int` })
    .from(users)
    .where(and(inArray(users.role, [...STAFF_ROLES]), isNull(users.blockedAt), isNull(users.totpEnabledAt)));
  const policy = tokenPolicy(settings);
  return {
    require2fa: settings?.require2fa === true,
    staffWithoutTwoFactor: n?.n ?? 0,
    tokenMaxDays: policy.maxDays,
    allowNonExpiringTokens: policy.allowNonExpiring,
  };
}

/**
 * PUT /org/security (admin). Turning the requirement on needs the admin's own two-factor first,
 * so the admin switching it on is never the first one locked into the setup-only session.
 */
export async function updateOrgSecurity(scope: Scope, input: OrgSecurity): Promise<OrgSecurityView> {
  assertCan(scope.user, "org.admin");
  const settings = await readOrgSettings(scope.tx, scope.user.orgId, { forUpdate: true });
  const before = settings?.require2fa === true;
  const require2fa = input.require2fa ?? before;
  if (require2fa && !before) {
    const [me] = await scope.tx
      .select({ totpEnabledAt: users.totpEnabledAt })
      .from(users)
      .where(eq(users.id, scope.user.userId));
    if (!me?.totpEnabledAt) {
      throw new AppError(
        "conflict",
        "set up two-factor sign-in on your own account (POST /api/v1/me/2fa/setup) before requiring it",
        {
          reason: "2fa_not_enabled_for_caller",
        },
      );
    }
  }
  const policy = tokenPolicy(settings);
  await saveOrgSettings(
    scope,
    "org.security_updated",
    { require2fa: before, tokenMaxDays: policy.maxDays, allowNonExpiringTokens: policy.allowNonExpiring },
    {
      require2fa,
      tokenMaxDays: input.tokenMaxDays ?? policy.maxDays,
      allowNonExpiringTokens: input.allowNonExpiringTokens ?? policy.allowNonExpiring,
    },
  );
  return getOrgSecurity(scope);
}
