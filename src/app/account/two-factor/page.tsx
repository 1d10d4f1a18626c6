import type { Metadata } from "next";
import { TwoFactorSettings } from "@/components/account/two-factor";
import s from "@/components/admin/admin.module.css";
import { withPageContext } from "@/server/auth/page-context";
import { requireUser } from "@/server/auth/page-session";
import { twoFactorStatus } from "@/server/auth/two-factor";

export const metadata: Metadata = { title: "Two-factor sign-in" };

export default async function TwoFactorPage() {
  // Reachable while the org requires a setup: this is where such users are sent.
  const user = await requireUser({ allowPendingTwoFactorSetup: true, returnTo: "/account/two-factor" });
  const status = await withPageContext(user, (scope) => twoFactorStatus(scope));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Two-factor sign-in</h1>
        <p className="muted">
          With two-factor sign-in, signing in (and getting an API token with your password) also asks for a 6-digit code
          from an authenticator app such as 1Password, Google Authenticator, Microsoft Authenticator or Aegis.
        </p>
      </div>
      {user.twoFactorSetupRequired ? (
        <p className="notice" role="status">
          {user.org.name} requires two-factor sign-in for agents and admins. Set it up below to continue to Beacon.
        </p>
      ) : null}
      <TwoFactorSettings status={status} required={status.required} />
    </>
  );
}
