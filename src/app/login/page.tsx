import type { Metadata } from "next";
import { redirect } from "next/navigation";
import { LoginForm } from "@/components/login-form";
import { currentUser } from "@/server/auth/page-session";

export const metadata: Metadata = { title: "Sign in" };

type SearchParams = Promise<Record<string, string | string[] | undefined>>;

const first = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);

export default async function LoginPage({ searchParams }: { searchParams: SearchParams }) {
  if (await currentUser()) redirect("/");
  const sp = await searchParams;
  const email = first(sp.email)?.slice(0, 320) ?? "";
  const org = first(sp.org)?.slice(0, 100) ?? "";
  const setup = first(sp.setup) === "1";
  // NextAuth sends its own failures (pages.error) back here with ?error=<code>.
  const code = first(sp.error);
  const initialError = !code
    ? undefined
    : code === "CredentialsSignin"
      ? "Email or password is incorrect."
      : "Sign-in failed. Try again.";

  return (
    <main className="auth-page">
      <div className="auth-brand" aria-hidden="true">
        <span className="logo-mark" /> Beacon
      </div>
      <section className="card auth-card" aria-labelledby="login-title">
        <h1 id="login-title">Sign in</h1>
        <p className="muted">Use the email and password of your Beacon account.</p>
        {setup ? (
          <p className="notice" role="status">
            Your password is set — sign in.
          </p>
        ) : null}
        <LoginForm
          defaultEmail={email}
          defaultOrg={org}
          callbackUrl={first(sp.callbackUrl)}
          initialError={initialError}
        />
      </section>
    </main>
  );
}
