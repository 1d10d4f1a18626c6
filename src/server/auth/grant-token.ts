import "server-only";
import { z } from "zod";
import { withTenant } from "../db/tenant";
import { issueToken, orgTokenPolicy } from "./manage-tokens";
import { verifyCredentials } from "./verify-credentials";

export const GRANTED_TOKEN_DAYS = 30;

export const ZGrantToken = z.strictObject({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
  /** Only needed when the email has accounts in several orgs. */
  org: z.string().trim().min(1).max(100).optional(),
  /** A TOTP or recovery code: required for users with two-factor sign-in (401 reason 2fa_required without it). */
  code: z.string().trim().min(1).max(64).optional(),
});
export type GrantToken = z.infer<typeof ZGrantToken>;

/**
 * POST /api/v1/auth/token: email + password (+ one-time code) → a bearer token valid for 30 days.
 * Before anyone is signed in there is no scope: the caller's IP and request id are passed for the
 * sign-in throttle and the audit trail.
 */
export async function grantToken(caller: { ip: string; requestId: string }, input: GrantToken) {
  const u = await verifyCredentials({ ...input, ip: caller.ip, via: "api", requestId: caller.requestId });
  const t = await withTenant(u.orgId, async (tx) => {
    // 30 days, or the org's maximum token lifetime when that is shorter.
    const policy = await orgTokenPolicy(tx, u.orgId);
    const now = new Date();
    const expiresAt = new Date(now.getTime() + Math.min(GRANTED_TOKEN_DAYS, policy.maxDays) * 86_400_000);
    return issueToken(tx, u, "Granted by /auth/token", expiresAt, now);
  });
  return { token: t.token, expiresAt: t.expiresAt!.toISOString() };
}
