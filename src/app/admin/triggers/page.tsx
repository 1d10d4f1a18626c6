import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { RulesAdmin } from "@/components/automation/rules-admin";
import type { RuleData } from "@/components/automation/rule-model";
import { withPageContext } from "@/server/auth/page-context";
import { listRules } from "@/server/automation/manage-rules";
import { automationRefs } from "@/server/pages/automation-data";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Triggers" };

export default async function TriggersPage() {
  const user = await requireAdmin("/admin/triggers");
  const data = await withPageContext(user, async (scope) => ({
    rules: (await listRules(scope, "trigger")).data,
    refs: await automationRefs(scope),
  }));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Triggers</h1>
        <p className="muted">
          Triggers run when a ticket is created, updated or commented on, first to last, in the same change. A rule that
          changes the ticket can fire the others again (each at most once per change); one that fails is skipped and
          shows its error here.
        </p>
      </div>
      <section className="card" aria-labelledby="triggers-title">
        <div className={s.section}>
          <h2 id="triggers-title">Triggers, in the order they run</h2>
          <RulesAdmin kind="trigger" rules={data.rules as RuleData[]} refs={data.refs} />
        </div>
      </section>
    </>
  );
}
