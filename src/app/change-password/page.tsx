import type { Metadata } from "next";
import Link from "next/link";
import { AppHeader } from "@/components/app-header";
import { ChangePasswordForm } from "@/components/change-password-form";
import { requireUser } from "@/server/auth/page-session";

export const metadata: Metadata = { title: "Change password" };

export default async function ChangePasswordPage() {
  const user = await requireUser({ allowPendingPasswordChange: true, returnTo: "/change-password" });
  const forced = user.mustChangePassword;

  return (
    <>
      <AppHeader user={user} showChangePassword={false} />
      <main id="main" className="page narrow">
        <section className="card" aria-labelledby="cp-title">
          <h1 id="cp-title">{forced ? "Choose a new password" : "Change password"}</h1>
          {forced ? (
            <p className="notice" role="status">
              You need to choose a new password before you continue. This happens when an account is created or reset
              with a temporary password that someone else has seen.
            </p>
          ) : (
            <p className="muted">
              Changing your password signs you out on every device. This browser signs straight back in.
            </p>
          )}
          <ChangePasswordForm email={user.email} orgSlug={user.org.slug} />
          {forced ? null : (
            <p className="form-footer">
              <Link href="/">Cancel</Link>
            </p>
          )}
        </section>
      </main>
    </>
  );
}
