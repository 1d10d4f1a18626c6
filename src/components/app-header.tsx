import Link from "next/link";
import type { PageUser } from "@/server/auth/page-session";
import { NotificationBell } from "./notification-bell";
import { ProfileMenu } from "./profile-menu";
import { Shortcuts } from "./shortcuts";
import { ROLE_LABELS } from "@/lib/ticket-labels";

/**
 * The signed-in frame: product, org, a global ticket search, notifications, Dashboard/Admin, and a
 * profile menu with the account actions (UI review 2). The `?` overlay lists every shortcut.
 */
export function AppHeader({
  user,
  showChangePassword = true,
  skipLinks = [],
}: {
  user: PageUser;
  showChangePassword?: boolean;
  skipLinks?: { href: string; label: string }[];
}) {
  // Until a pending password change is done the API refuses everything else, the bell included.
  // A restricted session (pending password change or 2FA setup) gets no links the API would refuse.
  const ready = !user.mustChangePassword && !user.twoFactorSetupRequired;
  const staff = user.role !== "customer";
  const links = [
    ...(ready
      ? [
          { href: "/account", label: "Account" },
          { href: "/account/two-factor", label: "Two-factor sign-in" },
        ]
      : []),
    ...(showChangePassword ? [{ href: "/change-password", label: "Change password" }] : []),
  ];
  return (
    <header className="app-header">
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      {/* UI review 7: a page's own skip links (the list's tickets) come right after, then search. */}
      {skipLinks.map((l) => (
        <a key={l.href} href={l.href} className="skip-link">
          {l.label}
        </a>
      ))}
      {ready ? (
        <a href="#global-search" className="skip-link">
          Skip to search
        </a>
      ) : null}
      <div className="app-header-inner">
        <Link href="/" className="brand">
          <span className="logo-mark" aria-hidden="true" />
          Beacon
        </Link>
        <span className="org-name" data-testid="org-name">
          {user.org.name}
        </span>
        {ready ? (
          <form action="/" role="search" aria-label="All tickets" className="global-search">
            {staff ? <input type="hidden" name="view" value="all" /> : null}
            <label htmlFor="global-search" className="visually-hidden">
              Search all tickets
            </label>
            <input
              id="global-search"
              name="q"
              type="search"
              maxLength={200}
              placeholder={staff ? "Search tickets" : "Search my requests"}
            />
          </form>
        ) : null}
        <nav className="account" aria-label="Account">
          {ready ? <NotificationBell /> : null}
          {ready && staff ? (
            <Link href="/dashboard" className="button subtle">
              Dashboard
            </Link>
          ) : null}
          {ready && user.role === "admin" ? (
            <Link href="/admin" className="button subtle">
              Admin
            </Link>
          ) : null}
          <ProfileMenu name={user.name} role={ROLE_LABELS[user.role]} links={links} />
        </nav>
      </div>
      {ready ? <Shortcuts staff={staff} /> : null}
    </header>
  );
}
