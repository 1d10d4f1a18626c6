import type { Metadata } from "next";
import Link from "next/link";
import { ApiTokens } from "@/components/account/api-tokens";
import s from "@/components/admin/admin.module.css";
import { withPageContext } from "@/server/auth/page-context";
import { requireUser } from "@/server/auth/page-session";
import { listTokens, orgTokenPolicy } from "@/server/auth/manage-tokens";
import { twoFactorStatus } from "@/server/auth/two-factor";
import { ROLE_LABELS } from "@/lib/ticket-labels";
import { allPages } from "@/server/core/list-page";

export const metadata: Metadata = { title: "Your account" };

export default async function AccountPage() {
  const user = await requireUser({ returnTo: "/account" });
  const d = await withPageContext(user, async (scope) => ({
    tokens: await allPages((page) => listTokens(scope, page)),
    tokenPolicy: await orgTokenPolicy(scope.tx, scope.user.orgId),
    twoFactor: await twoFactorStatus(scope),
  }));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Your account</h1>
      </div>

      <section className="card" aria-labelledby="me-title">
        <div className={s.section}>
          <h2 id="me-title">{user.name}</h2>
          <dl className={s.verifyResult}>
            <div>
              <dt>Email</dt>
              <dd>{user.email}</dd>
            </div>
            <div>
              <dt>Role</dt>
              <dd>{ROLE_LABELS[user.role]}</dd>
            </div>
            <div>
              <dt>Organization</dt>
              <dd>{user.org.name}</dd>
            </div>
            <div>
              <dt>Two-factor sign-in</dt>
              <dd>{d.twoFactor.enabled ? "On" : "Off"}</dd>
            </div>
          </dl>
          <div className={s.formActions}>
            <Link href="/change-password" className="button">
              Change password
            </Link>
            <Link href="/account/two-factor" className="button">
              {d.twoFactor.enabled ? "Manage two-factor sign-in" : "Set up two-factor sign-in"}
            </Link>
          </div>
        </div>
      </section>

      <section className="card" aria-labelledby="tokens-title">
        <div className={s.section}>
          <div>
            <h2 id="tokens-title">Personal API tokens</h2>
            <p className="muted">
              A token lets a script or integration use the <Link href="/docs/api">Beacon API</Link> as you, with your
              role&apos;s access. Send it as <code>Authorization: Bearer …</code>. Changing your password, or an admin
              signing you out, revokes every token.
            </p>
          </div>
          <ApiTokens tokens={d.tokens} policy={d.tokenPolicy} />
        </div>
      </section>
    </>
  );
}
