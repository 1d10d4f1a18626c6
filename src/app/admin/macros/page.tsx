import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { MacrosAdmin, type MacroData } from "@/components/automation/macros-admin";
import { withPageContext } from "@/server/auth/page-context";
import { listMacros } from "@/server/automation/manage-macros";
import { automationRefs } from "@/server/pages/automation-data";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Macros" };

export default async function MacrosPage() {
  const user = await requireAdmin("/admin/macros");
  const data = await withPageContext(user, async (scope) => ({
    macros: (await listMacros(scope)).data.filter((m) => m.shared),
    refs: await automationRefs(scope),
  }));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Macros</h1>
        <p className="muted">
          Shared macros are offered to every agent on the ticket page (“Apply macro”, or the <kbd>m</kbd> key): a reply
          text with placeholders and field changes, previewed before they are applied. Agents keep their own personal
          macros under Account → Macros.
        </p>
      </div>
      <section className="card" aria-labelledby="macros-title">
        <div className={s.section}>
          <h2 id="macros-title">Shared macros</h2>
          <MacrosAdmin macros={data.macros as MacroData[]} shared refs={data.refs} />
        </div>
      </section>
    </>
  );
}
