"use client";

import { useRef, useState, type FormEvent } from "react";
import { Field } from "./field";
import { useHydrated } from "./use-hydrated";

export type SignInResult =
  | { ok: true }
  | { ok: false; reason: "invalid" }
  | { ok: false; reason: "2fa_required"; codeRejected: boolean }
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
  /** A TOTP or recovery code, once the server has asked for one. */
  code?: string;
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
        code: input.code ?? "",
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
    // authorize() tells a missing/wrong one-time code apart by the error it throws (error=2fa_required).
    const error = new URL(url, "http://same.origin").searchParams.get("error");
    if (error === "2fa_required") return { ok: false, reason: "2fa_required", codeRejected: Boolean(input.code) };
    // Too many wrong one-time codes for the account (a 15-minute window on the server).
    if (error === "rate_limited") return { ok: false, reason: "rate_limited", retryAfterSec: 900 };
    if (error !== null) return { ok: false, reason: "invalid" };
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
    case "2fa_required":
      return r.codeRejected
        ? "That code did not work. Enter the current code from your authenticator app, or an unused recovery code."
        : "Enter the one-time code from your authenticator app.";
    case "rate_limited": {
      const minutes = Math.max(1, Math.ceil(r.retryAfterSec / 60));
      return `Too many failed attempts. Try again in ${minutes} ${minutes === 1 ? "minute" : "minutes"}.`;
    }
    case "unavailable":
      return "Sign-in is unavailable right now. Check your connection and try again.";
  }
}

/**
 * Only same-origin app paths: "/x" yes; "//evil", "/\\evil", "https://…", "javascript:" fall back to "/".
 * The check runs on the normalised result, not the raw string: dot segments turn "/.//evil" and
 * "/a/..//evil" into "//evil", which a browser reads as another host (issue 18.3).
 */
export function safeCallbackUrl(raw: string | null | undefined): string {
  // Backslashes are slashes to a browser, and control characters (tab, newline) are stripped by it.
  // eslint-disable-next-line no-control-regex
  if (!raw || !raw.startsWith("/") || /[\\\u0000-\u001f\u007f]/.test(raw)) return "/";
  try {
    const u = new URL(raw, "http://same.origin");
    if (u.origin !== "http://same.origin") return "/";
    // The normalised path (always "/…" here), once percent-decoded too (a server or router may
    // decode "%2F%2Fevil"), must be a single-slash path: decoding never removes a leading "//",
    // so checking the decoded form covers the normalised one.
    const decoded = decodeURIComponent(u.pathname);
    // eslint-disable-next-line no-control-regex
    if (decoded.startsWith("//") || /[\\\u0000-\u001f\u007f]/.test(decoded)) return "/";
    return `${u.pathname}${u.search}${u.hash}`;
  } catch {
    return "/";
  }
}

export { useHydrated };

type Props = { defaultEmail?: string; defaultOrg?: string; callbackUrl?: string; initialError?: string };

export function LoginForm({ defaultEmail = "", defaultOrg = "", callbackUrl, initialError }: Props) {
  const hydrated = useHydrated();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(initialError ?? null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  // Shown once the server answers that this account signs in with a second factor.
  const [needCode, setNeedCode] = useState(false);
  // The first "enter your code" is a prompt, not a failure: shown as a notice, not an error.
  const [prompting, setPrompting] = useState(false);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const form = new FormData(e.currentTarget);
    setPending(true);
    setError(null);
    setPrompting(false);
    const result = await signInWithCredentials({
      email: String(form.get("email") ?? "").trim(),
      password: String(form.get("password") ?? ""),
      org: String(form.get("org") ?? "").trim(),
      code: needCode ? String(form.get("code") ?? "").trim() : undefined,
      callbackUrl: safeCallbackUrl(callbackUrl),
    });
    if (result.ok) {
      // A full navigation, so every server component renders with the new session cookie.
      window.location.assign(safeCallbackUrl(callbackUrl));
      return;
    }
    setPending(false);
    setError(signInErrorMessage(result));
    if (result.reason === "2fa_required") {
      // The code field mounts with autoFocus the first time; after a wrong code, select it for retyping.
      setNeedCode(true);
      setPrompting(!result.codeRejected);
      codeRef.current?.select();
      codeRef.current?.focus();
      return;
    }
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
      {needCode ? (
        <Field
          id="login-code"
          label="One-time code"
          hint="The 6-digit code from your authenticator app, or one of your recovery codes."
        >
          {(aria) => (
            <input
              {...aria}
              name="code"
              type="text"
              inputMode="numeric"
              autoComplete="one-time-code"
              autoCapitalize="none"
              spellCheck={false}
              required
              maxLength={64}
              ref={codeRef}
              autoFocus
            />
          )}
        </Field>
      ) : null}
      <details className="disclosure" open={Boolean(defaultOrg) || undefined}>
        <summary>Sign in to a specific organization</summary>
        <Field
          id="login-org"
          label="Organization"
          hint={
            <>
              Its short name, for example <code>acme</code>. Only needed if your email belongs to several organizations.
            </>
          }
        >
          {(aria) => (
            <input
              {...aria}
              name="org"
              type="text"
              autoComplete="organization"
              autoCapitalize="none"
              spellCheck={false}
              defaultValue={defaultOrg}
            />
          )}
        </Field>
      </details>
      {/* Always rendered, so screen readers announce the message when it appears. */}
      <div role="alert" aria-atomic="true">
        {error ? <p className={prompting ? "notice" : "error"}>{error}</p> : null}
      </div>
      <button type="submit" className="button primary block" disabled={!hydrated || pending} aria-busy={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </button>
    </form>
  );
}
