import Link from "next/link";
import type { PageUser } from "@/server/auth/page-session";
import { SignOutButton } from "./sign-out-button";

export const ROLE_LABELS: Record<PageUser["role"], string> = { admin: "Admin", agent: "Agent", customer: "Customer" };

/** The signed-in frame: product, org, who you are, and the account actions. */
export function AppHeader({ user, showChangePassword = true }: { user: PageUser; showChangePassword?: boolean }) {
  return (
    <header className="app-header">
      <div className="app-header-inner">
        <Link href="/" className="brand">
          <span className="logo-mark" aria-hidden="true" />
          Beacon
        </Link>
        <span className="org-name" data-testid="org-name">
          {user.org.name}
        </span>
        <nav className="account" aria-label="Account">
          <span className="who">
            <span className="user-name" data-testid="user-name">
              {user.name}
            </span>
            <span className="role-badge" data-testid="user-role">
              {ROLE_LABELS[user.role]}
            </span>
          </span>
          {showChangePassword ? (
            <Link href="/change-password" className="button subtle">
              Change password
            </Link>
          ) : null}
          <SignOutButton className="button subtle" />
        </nav>
      </div>
    </header>
  );
}
