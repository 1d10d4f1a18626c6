import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { RulesAdmin } from "@/components/automation/rules-admin";
import type { RuleData } from "@/components/automation/rule-model";
import { withPageContext } from "@/server/auth/page-context";
import { listRules } from "@/server/automation/manage-rules";
import { automationRefs } from "@/server/pages/automation-data";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Time rules" };

export default async function TimeRulesPage() {
  const user = await requireAdmin("/admin/automations");
  const data = await withPageContext(user, async (scope) => ({
    rules: (await listRules(scope, "automation")).data,
    refs: await automationRefs(scope),
  }));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Time rules</h1>
        <p className="muted">
          Time rules act on tickets as they age (hours since created, last update, status change, last customer reply,
          SLA due). The worker checks them every minute; each fires once per ticket per window.
        </p>
      </div>
      <section className="card" aria-labelledby="automations-title">
        <div className={s.section}>
          <h2 id="automations-title">Time rules, in the order they run</h2>
          <RulesAdmin kind="automation" rules={data.rules as RuleData[]} refs={data.refs} />
        </div>
      </section>
    </>
  );
}
