"use client";

import { useState } from "react";
import { useHydrated } from "./use-hydrated";

/** Ends the NextAuth session (POST /api/auth/signout with the CSRF token), then shows sign-in. */
export function SignOutButton({ className = "button" }: { className?: string }) {
  const hydrated = useHydrated();
  const [pending, setPending] = useState(false);

  async function signOut() {
    setPending(true);
    try {
      const csrf = await fetch("/api/auth/csrf", { cache: "no-store" });
      const { csrfToken } = (await csrf.json()) as { csrfToken?: string };
      await fetch("/api/auth/signout", {
        method: "POST",
        headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ csrfToken: csrfToken ?? "", callbackUrl: "/login", json: "true" }),
      });
    } finally {
      // Even if the request failed, leave the signed-in screen; /login shows what is true.
      window.location.assign("/login");
    }
  }

  return (
    <button type="button" className={className} onClick={signOut} disabled={!hydrated || pending} aria-busy={pending}>
      {pending ? "Signing out…" : "Sign out"}
    </button>
  );
}
