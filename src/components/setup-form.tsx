"use client";

import { useRef, useState, useSyncExternalStore, type FormEvent } from "react";
import { Field } from "./field";

// Mirrors PASSWORD_MIN_LENGTH on the server (which has the final word).
const MIN_LENGTH = 12;

type Props = { token: string; email: string };

type ErrorBody = {
  error?: { code?: string; message?: string; details?: { issues?: { path?: string; message?: string }[] } };
};

export function SetupForm({ token, email }: Props) {
  const hydrated = useHydrated();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const form = new FormData(e.currentTarget);
    const password = String(form.get("password") ?? "");
    const confirm = String(form.get("confirm") ?? "");
    if (password.length < MIN_LENGTH) {
      setError(`The password must be at least ${MIN_LENGTH} characters.`);
      passwordRef.current?.focus();
      return;
    }
    if (password !== confirm) {
      setError("The two passwords do not match.");
      confirmRef.current?.select();
      confirmRef.current?.focus();
      return;
    }
    setPending(true);
    setError(null);
    try {
      const res = await fetch("/api/v1/auth/setup", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ token, password }),
        cache: "no-store",
      });
      if (res.ok) {
        const body = (await res.json()) as { email: string; org?: string };
        const q = new URLSearchParams({ email: body.email, setup: "1" });
        if (body.org) q.set("org", body.org);
        window.location.assign(`/login?${q.toString()}`);
        return;
      }
      const body = (await res.json().catch(() => ({}))) as ErrorBody;
      setError(messageFor(res.status, body));
    } catch {
      setError("The server could not be reached. Check your connection and try again.");
    }
    setPending(false);
    passwordRef.current?.focus();
  }

  return (
    <form method="post" onSubmit={onSubmit} className="stack">
      {/* Lets password managers save the new password under the right account. */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <Field
        id="setup-password"
        label="New password"
        hint={`At least ${MIN_LENGTH} characters. A few unrelated words make a strong, memorable password.`}
      >
        {(aria) => (
          <input
            {...aria}
            name="password"
            type="password"
            autoComplete="new-password"
            minLength={MIN_LENGTH}
            maxLength={1024}
            required
            autoFocus
            ref={passwordRef}
          />
        )}
      </Field>
      <div className="field">
        <label htmlFor="setup-confirm">Confirm password</label>
        <input
          id="setup-confirm"
          name="confirm"
          type="password"
          autoComplete="new-password"
          minLength={MIN_LENGTH}
          maxLength={1024}
          required
          ref={confirmRef}
        />
      </div>
      <div role="alert" aria-atomic="true">
        {error ? <p className="error">{error}</p> : null}
      </div>
      <button type="submit" className="button primary block" disabled={!hydrated || pending} aria-busy={pending}>
        {pending ? "Saving…" : "Set password"}
      </button>
    </form>
  );
}

/** False on the server and during hydration: the button stays disabled until React handles submit. */
function useHydrated(): boolean {
  return useSyncExternalStore(
    () => () => undefined,
    () => true,
    () => false,
  );
}

function messageFor(status: number, body: ErrorBody): string {
  if (status === 404) return "This link is invalid or has expired. Ask your administrator for a new one.";
  if (status === 400) {
    const issue = body.error?.details?.issues?.find((i) => i.path === "password");
    if (issue?.message) return `Password ${issue.message}.`;
    return body.error?.message
      ? `${body.error.message[0]!.toUpperCase()}${body.error.message.slice(1)}.`
      : "Check the form and try again.";
  }
  if (status === 429) return "Too many attempts. Wait a few minutes and try again.";
  return "Something went wrong on our side. Try again in a moment.";
}
