import "server-only";
import { cache } from "react";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import { eq } from "drizzle-orm";
import { withTenant } from "../db/tenant";
import { orgs } from "../db/schema/orgs";
import { confirmClaim, pendingStep, readClaim, type Principal } from "./principal";

/** The signed-in person as pages see them: the confirmed principal plus their org's display data. */
export type PageUser = Principal & { org: { id: string; name: string; slug: string } };

/**
 * The signed-in user for a server component, confirmed against the database on this request
 * (blocked, revoked or unknown → null), exactly as the API's request wrapper does.
 * Only the session cookie counts: bearer tokens are for API clients, not pages.
 * Reading headers() makes every page that calls this render per request (dynamic rendering),
 * and React's cache() runs the check once per render however many components ask.
 */
export const currentUser = cache(async (): Promise<PageUser | null> => {
  const incoming = await headers();
  const claim = await readClaim(new Headers({ cookie: incoming.get("cookie") ?? "" }));
  if (claim === null || claim === "invalid" || claim.kind !== "session") return null;
  return withTenant(claim.orgId, async (tx) => {
    const principal = await confirmClaim(tx, claim);
    if (!principal) return null;
    const [org] = await tx
      .select({ id: orgs.id, name: orgs.name, slug: orgs.slug })
      .from(orgs)
      .where(eq(orgs.id, principal.orgId))
      .limit(1);
    return org ? { ...principal, org } : null;
  });
});

/** Where a user whose org requires two-factor sign-in is sent until they set it up. */
export const TWO_FACTOR_SETUP_PATH = "/account/two-factor";

type RequireOpts = {
  /** The change-password page itself must stay reachable while a change is pending. */
  allowPendingPasswordChange?: boolean;
  /** The two-factor setup page itself must stay reachable while the org requires a setup. */
  allowPendingTwoFactorSetup?: boolean;
  /** Where to come back to after signing in (a same-origin path); default "/". */
  returnTo?: string;
};

/**
 * The signed-in user, or a redirect to sign-in (or to the forced password change, or to the
 * two-factor setup the org requires) — the pages' side of the API's pendingStep rule.
 */
export async function requireUser(opts: RequireOpts = {}): Promise<PageUser> {
  const user = await currentUser();
  if (!user) redirect(`/login?callbackUrl=${encodeURIComponent(opts.returnTo ?? "/")}`);
  const pending = pendingStep(user);
  if (pending && !opts[pending.allowedBy]) {
    redirect(pending.reason === "password_change_required" ? "/change-password" : TWO_FACTOR_SETUP_PATH);
  }
  return user;
}
