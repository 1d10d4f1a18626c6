import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { CustomerOrgRows, NewCustomerOrgForm } from "@/components/admin/customer-orgs-admin";
import { withPageContext } from "@/server/auth/page-context";
import { listCustomerOrgs } from "@/server/customers/customer-orgs";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Customer organizations" };

export default async function CustomerOrgsPage() {
  const user = await requireAdmin("/admin/customers");
  const orgs = await withPageContext(user, async (scope) => (await listCustomerOrgs(scope)).data);
  return (
    <>
      <div className={s.pageHead}>
        <h1>Customer organizations</h1>
        <p className="muted">
          The companies your customers work for. A customer whose email address is at one of an organization&apos;s
          domains belongs to it; agents see the organization and its notes beside that customer&apos;s tickets.
        </p>
      </div>
      <section className="card" aria-labelledby="customer-orgs-title">
        <div className={s.section}>
          <h2 id="customer-orgs-title">Organizations</h2>
          <CustomerOrgRows orgs={orgs} />
        </div>
      </section>
      <section className="card" aria-labelledby="new-customer-org-title">
        <div className={s.section}>
          <h2 id="new-customer-org-title">New organization</h2>
          <NewCustomerOrgForm />
        </div>
      </section>
    </>
  );
}
