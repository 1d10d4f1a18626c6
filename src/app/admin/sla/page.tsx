import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { CustomerSlaForm } from "@/components/admin/customer-sla-form";
import { PolicyCard } from "@/components/admin/sla-policies";
import { withPageContext } from "@/server/auth/page-context";
import { requireAdmin } from "../require-admin";
import { listPolicies } from "@/server/sla-policies/manage-policies";
import { getSlaSettings } from "@/server/orgs/customer-sla";
import { PRIORITIES } from "@/server/lifecycle/ticket-lifecycle";

export const metadata: Metadata = { title: "SLA policies" };

export default async function SlaPoliciesPage() {
  const user = await requireAdmin("/admin/sla");
  const { data, customers } = await withPageContext(user, async (scope) => ({
    ...(await listPolicies(scope)),
    customers: await getSlaSettings(scope),
  }));
  // A new calendar starts in the zone the org's other calendars already use.
  const defaultTimezone = data.find((p) => p.calendar)?.calendar?.timezone ?? null;
  return (
    <>
      <div className={s.pageHead}>
        <h1>SLA policies</h1>
        <p className="muted">
          One policy per priority: how soon the first response and the resolution are due, whether only business hours
          count, and which statuses pause the clock. Changes apply to new tickets at once and to open tickets of that
          priority in the background.
        </p>
      </div>
      <CustomerSlaForm showSlaToCustomers={customers.showSlaToCustomers} />
      {PRIORITIES.map((p) => (
        <PolicyCard
          key={p}
          priority={p}
          policy={data.find((x) => x.priority === p) ?? null}
          defaultTimezone={defaultTimezone}
        />
      ))}
    </>
  );
}
