import { AppHeader } from "@/components/app-header";
import s from "@/components/admin/admin.module.css";
import { SectionNav } from "@/components/admin/section-nav";
import { requireUser } from "@/server/auth/page-session";
import { isStaff } from "@/server/authz/permissions";

const ACCOUNT_SECTIONS = [
  { href: "/account", label: "API tokens" },
  { href: "/account/two-factor", label: "Two-factor sign-in" },
  { href: "/change-password", label: "Password" },
];

/**
 * Everyone's own account. The two-factor page must stay reachable while the org requires a
 * setup, so the layout lets that state through; each page decides for itself.
 */
export default async function AccountLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser({ allowPendingTwoFactorSetup: true, returnTo: "/account" });
  return (
    <>
      <AppHeader user={user} />
      <div className={s.shell}>
        <SectionNav
          label="Your account"
          items={isStaff(user) ? [...ACCOUNT_SECTIONS, { href: "/account/macros", label: "Macros" }] : ACCOUNT_SECTIONS}
        />
        <main id="main" className={s.main}>
          {children}
        </main>
      </div>
    </>
  );
}
