import { AppHeader } from "@/components/app-header";
import s from "@/components/admin/admin.module.css";
import { SectionNav } from "@/components/admin/section-nav";
import { requireAdmin } from "./require-admin";

const ADMIN_SECTIONS = [
  { href: "/admin", label: "Overview" },
  { href: "/admin/users", label: "Users" },
  { href: "/admin/customers", label: "Customers" },
  { href: "/admin/fields", label: "Ticket fields" },
  { href: "/admin/sla", label: "SLA policies" },
  { href: "/admin/email", label: "Email" },
  { href: "/admin/triggers", label: "Triggers" },
  { href: "/admin/automations", label: "Time rules" },
  { href: "/admin/groups", label: "Groups" },
  { href: "/admin/macros", label: "Macros" },
  { href: "/admin/webhooks", label: "Webhooks" },
  { href: "/admin/jobs", label: "Failed deliveries" },
  { href: "/admin/flags", label: "Feature flags" },
  { href: "/admin/audit", label: "Audit log" },
  { href: "/admin/export", label: "Export" },
  { href: "/admin/imports", label: "Import" },
];

/**
 * Every /admin page: admins only. Anyone else gets the same 404 as for a page that does not
 * exist (SPEC §4: no existence leak), signed-out visitors go to sign-in first.
 */
export default async function AdminLayout({ children }: { children: React.ReactNode }) {
  const user = await requireAdmin("/admin");
  return (
    <>
      <AppHeader user={user} />
      <div className={s.shell}>
        <SectionNav label="Administration" items={ADMIN_SECTIONS} />
        <main id="main" className={s.main}>
          {children}
        </main>
      </div>
    </>
  );
}
