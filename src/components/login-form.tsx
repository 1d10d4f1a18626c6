"use client";

import { useRef, useState, useSyncExternalStore, type FormEvent } from "react";

export type SignInResult =
  | { ok: true }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "rate_limited"; retryAfterSec: number }
  | { ok: false; reason: "unavailable" };

/**
 * What next-auth/react's signIn("credentials") does, by hand, because it hides the status code
 * and Beacon answers a spent failure budget with 429 + Retry-After before NextAuth runs.
 */
export async function signInWithCredentials(input: {
  email: string;
  password: string;
  org?: string;
  callbackUrl: string;
}): Promise<SignInResult> {
  try {
    const csrf = await fetch("/api/auth/csrf", { cache: "no-store" });
    if (!csrf.ok) return { ok: false, reason: "unavailable" };
    const { csrfToken } = (await csrf.json()) as { csrfToken?: string };
    if (!csrfToken) return { ok: false, reason: "unavailable" };
    const res = await fetch("/api/auth/callback/credentials", {
      method: "POST",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({
        csrfToken,
        email: input.email,
        password: input.password,
        org: input.org ?? "",
        callbackUrl: input.callbackUrl,
        json: "true",
      }),
    });
    if (res.status === 429) {
      const retry = Number(res.headers.get("Retry-After"));
      return { ok: false, reason: "rate_limited", retryAfterSec: Number.isFinite(retry) && retry > 0 ? retry : 300 };
    }
    // NextAuth answers a refused sign-in with 401 and {url: "/login?error=CredentialsSignin…"}.
    const { url } = (await res.json().catch(() => ({}))) as { url?: string };
    if (typeof url !== "string") return { ok: false, reason: "unavailable" };
    if (url.includes("error=")) return { ok: false, reason: "invalid" };
    if (!res.ok) return { ok: false, reason: "unavailable" };
    // A stale CSRF cookie sends NextAuth back to its sign-in page instead of signing in.
    if (url.includes("csrf=true")) return { ok: false, reason: "unavailable" };
    return { ok: true };
  } catch {
    return { ok: false, reason: "unavailable" };
  }
}

export function signInErrorMessage(r: Exclude<SignInResult, { ok: true }>): string {
  switch (r.reason) {
    case "invalid":
      return "Email or password is incorrect.";
    case "rate_limited": {
      const minutes = Math.max(1, Math.ceil(r.retryAfterSec / 60));
      return `Too many failed attempts. Try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
    }
    case "unavailable":
      return "Sign-in is unavailable right now. Check your connection and try again.";
  }
}

/** Only same-origin relative paths: "/x" yes; "//evil", "/\\evil", "https://…" fall back to "/". */
export function safeCallbackUrl(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.startsWith("/\\")) return "/";
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) return "/";
  try {
    const u = new URL(raw, "http://same.origin");
    return u.origin === "http://same.origin" ? `${u.pathname}${u.search}${u.hash}` : "/";
  } catch {
    return "/";
  }
}

/** False on the server and during hydration, true once React owns the page. */
export function useHydrated(): boolean {
  return useSyncExternalStore(
    () => () => undefined,
    () => true,
    () => false,
  );
}

type Props = { defaultEmail?: string; defaultOrg?: string; callbackUrl?: string; initialError?: string };

export function LoginForm({ defaultEmail = "", defaultOrg = "", callbackUrl, initialError }: Props) {
  const hydrated = useHydrated();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(initialError ?? null);
  const passwordRef = useRef<HTMLInputElement>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    const result = await signInWithCredentials({
      email: String(form.get("email") ?? "").trim(),
      password: String(form.get("password") ?? ""),
      org: String(form.get("org") ?? "").trim(),
      callbackUrl: safeCallbackUrl(callbackUrl),
    });
    if (result.ok) {
      // A full navigation, so every server component renders with the new session cookie.
      window.location.assign(safeCallbackUrl(callbackUrl));
      return;
    }
    setPending(false);
    setError(signInErrorMessage(result));
    passwordRef.current?.select();
    passwordRef.current?.focus();
  }

  return (
    // method="post": should the form ever submit natively, the password stays out of the URL.
    <form method="post" onSubmit={onSubmit} className="stack">
      <div className="field">
        <label htmlFor="login-email">Email</label>
        <input
          id="login-email"
          name="email"
          type="email"
          autoComplete="username"
          inputMode="email"
          autoCapitalize="none"
          spellCheck={false}
          required
          defaultValue={defaultEmail}
          autoFocus={!defaultEmail}
        />
      </div>
      <div className="field">
        <label htmlFor="login-password">Password</label>
        <input
          id="login-password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          ref={passwordRef}
          autoFocus={Boolean(defaultEmail)}
        />
      </div>
      <details className="disclosure" open={Boolean(defaultOrg) || undefined}>
        <summary>Sign in to a specific organization</summary>
        <div className="field">
          <label htmlFor="login-org">Organization</label>
          <input
            id="login-org"
            name="org"
            type="text"
            autoComplete="organization"
            autoCapitalize="none"
            spellCheck={false}
            defaultValue={defaultOrg}
            aria-describedby="login-org-hint"
          />
          <p id="login-org-hint" className="hint">
            Its short name, for example <code>acme</code>. Only needed if your email belongs to several organizations.
          </p>
        </div>
      </details>
      {/* Always rendered, so screen readers announce the message when it appears. */}
      <div role="alert" aria-atomic="true">
        {error ? <p className="error">{error}</p> : null}
      </div>
      <button type="submit" className="button primary block" disabled={!hydrated || pending} aria-busy={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
