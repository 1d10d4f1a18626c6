import Link from "next/link";
import type { PageUser } from "@/server/auth/page-session";
import { NotificationBell } from "./notification-bell";
import { SignOutButton } from "./sign-out-button";
import { ROLE_LABELS } from "@/lib/ticket-labels";


/** The signed-in frame: product, org, who you are, notifications and the account actions. */
export function AppHeader({ user, showChangePassword = true }: { user: PageUser; showChangePassword?: boolean }) {
  // Until a pending password change is done the API refuses everything else, the bell included.
  // A restricted session (pending password change or 2FA setup) gets no links the API would refuse.
  const ready = !user.mustChangePassword && !user.twoFactorSetupRequired;
  return (
    <header className="app-header">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
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
          {ready ? <NotificationBell /> : null}
          {ready && user.role !== "customer" ? (
            <Link href="/dashboard" className="button subtle">
              Dashboard
            </Link>
          ) : null}
          {ready && user.role === "admin" ? (
            <Link href="/admin" className="button subtle">
              Admin
            </Link>
          ) : null}
          {ready ? (
            <Link href="/account" className="button subtle">
              Account
            </Link>
          ) : null}
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
