"use client";

import { useRef, useState, type FormEvent } from "react";
import { signInErrorMessage, signInWithCredentials, useHydrated } from "./login-form";
import { Field as FormField } from "./field";

// Kept in step with PASSWORD_MIN_LENGTH on the server, which has the final word.
const MIN_LENGTH = 12;

type Field = "currentPassword" | "newPassword" | "confirmPassword";
type FieldErrors = Partial<Record<Field, string>>;

const LABELS: Record<Field, string> = {
  currentPassword: "Current password",
  newPassword: "New password",
  confirmPassword: "Confirm new password",
};

type ApiError = {
  error?: { code?: string; message?: string; details?: { issues?: { path?: string; message?: string }[] } };
};

type Props = { email: string; orgSlug: string };

export function ChangePasswordForm({ email, orgSlug }: Props) {
  const hydrated = useHydrated();
  const [pending, setPending] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);

  function show(errors: FieldErrors, message: string | null = null) {
    setFieldErrors(errors);
    setFormError(message);
    const firstField = (Object.keys(LABELS) as Field[]).find((f) => errors[f]);
    if (firstField) formRef.current?.querySelector<HTMLInputElement>(`[name="${firstField}"]`)?.focus();
  }

  async function onSubmit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    if (pending) return;
    const form = new FormData(e.currentTarget);
    const currentPassword = String(form.get("currentPassword") ?? "");
    const newPassword = String(form.get("newPassword") ?? "");
    const confirmPassword = String(form.get("confirmPassword") ?? "");

    const local: FieldErrors = {};
    if (!currentPassword) local.currentPassword = "Enter your current password.";
    if (newPassword.length < MIN_LENGTH) local.newPassword = `Use at least ${MIN_LENGTH} characters.`;
    else if (newPassword === currentPassword) local.newPassword = "Choose a password different from the current one.";
    if (confirmPassword !== newPassword) local.confirmPassword = "The two new passwords do not match.";
    if (Object.keys(local).length > 0) return show(local);

    setPending(true);
    show({});
    let res: Response;
    try {
      res = await fetch("/api/v1/me/password", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ currentPassword, newPassword }),
      });
    } catch {
      setPending(false);
      return show({}, "Could not reach Beacon. Check your connection and try again.");
    }

    if (res.ok) {
      // The change ended every session, this one included: sign straight back in with the new password.
      const signedIn = await signInWithCredentials({ email, password: newPassword, org: orgSlug, callbackUrl: "/" });
      if (signedIn.ok) {
        window.location.assign("/");
        return;
      }
      setPending(false);
      if (signedIn.reason === "rate_limited") return show({}, signInErrorMessage(signedIn));
      // The password did change; let the person sign in by hand.
      window.location.assign(`/login?setup=1&email=${encodeURIComponent(email)}`);
      return;
    }

    setPending(false);
    if (res.status === 401) {
      window.location.assign(`/login?callbackUrl=${encodeURIComponent("/change-password")}`);
      return;
    }
    const body = (await res.json().catch(() => ({}))) as ApiError;
    const errors: FieldErrors = {};
    const other: string[] = [];
    for (const issue of body.error?.details?.issues ?? []) {
      const path = issue.path as Field | undefined;
      if (path && path in LABELS && issue.message) errors[path] = `${LABELS[path]} ${issue.message}.`;
      else if (issue.message) other.push(issue.message);
    }
    const message =
      Object.keys(errors).length > 0 && other.length === 0
        ? null
        : res.status === 429
          ? "Too many requests. Wait a minute and try again."
          : (body.error?.message ?? "Could not change the password. Try again.");
    show(errors, message && message.charAt(0).toUpperCase() + message.slice(1));
  }

  const password = (name: Field) => ({ name, type: "password" as const, required: true });

  return (
    <form ref={formRef} method="post" onSubmit={onSubmit} noValidate className="stack">
      {/* The account's email, for password managers to file the new password under. */}
      <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
      <FormField id="cp-currentPassword" label={LABELS.currentPassword} error={fieldErrors.currentPassword}>
        {(aria) => <input {...aria} {...password("currentPassword")} autoComplete="current-password" autoFocus />}
      </FormField>
      <FormField
        id="cp-newPassword"
        label={LABELS.newPassword}
        error={fieldErrors.newPassword}
        hint={`At least ${MIN_LENGTH} characters. A few unrelated words make a strong, memorable password.`}
      >
        {(aria) => <input {...aria} {...password("newPassword")} autoComplete="new-password" minLength={MIN_LENGTH} />}
      </FormField>
      <FormField id="cp-confirmPassword" label={LABELS.confirmPassword} error={fieldErrors.confirmPassword}>
        {(aria) => <input {...aria} {...password("confirmPassword")} autoComplete="new-password" />}
      </FormField>
      <div role="alert" aria-atomic="true">
        {formError ? <p className="error">{formError}</p> : null}
      </div>
      <button type="submit" className="button primary block" disabled={!hydrated || pending} aria-busy={pending}>
        {pending ? "Changing password…" : "Change password"}
      </button>
    </form>
  );
}
