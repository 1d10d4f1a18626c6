import type { Metadata } from "next";
import Link from "next/link";
import { SetupForm } from "@/components/setup-form";
import { inspectSetupLink } from "@/server/auth/setup-link";

// The token is in the URL: keep it out of Referer headers and search indexes.
export const metadata: Metadata = {
  title: "Set your password",
  referrer: "no-referrer",
  robots: { index: false, follow: false },
};

export default async function SetupPage({ params }: { params: Promise<{ token: string }> }) {
  // Link tokens are URL-safe as minted; anything needing decoding is not one of ours.
  const { token } = await params;
  const link = await inspectSetupLink(token);

  return (
    <main className="auth-page">
      <div className="auth-brand" aria-hidden="true">
        <span className="logo-mark" /> Beacon
      </div>
      <section className="card auth-card" aria-labelledby="setup-title">
        {link ? (
          <>
            <h1 id="setup-title">Set your password</h1>
            <p className="muted">
              Welcome, {link.name}. Choose the password for <strong>{link.email}</strong> in {link.orgName}.
            </p>
            <SetupForm token={token} email={link.email} />
          </>
        ) : (
          <>
            <h1 id="setup-title">This link is invalid or has expired</h1>
            <p className="muted">
              Setup links work once and for 24 hours. Ask your administrator for a new one, or{" "}
              <Link href="/login">sign in</Link> if you have already set your password.
            </p>
          </>
        )}
      </section>
    </main>
  );
}
