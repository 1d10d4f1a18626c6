import type { Metadata } from "next";
import { notFound } from "next/navigation";
import s from "@/components/admin/admin.module.css";
import { MacrosAdmin, type MacroData } from "@/components/automation/macros-admin";
import { withPageContext } from "@/server/auth/page-context";
import { requireUser } from "@/server/auth/page-session";
import { isStaff } from "@/server/authz/permissions";
import { listGroups } from "@/server/automation/manage-groups";
import { listMacros } from "@/server/automation/manage-macros";
import { assignableStaff } from "@/server/pages/automation-data";

export const metadata: Metadata = { title: "Your macros" };

/** Every agent's personal macros (only they see them); shared ones are managed on Admin → Macros. */
export default async function AccountMacrosPage() {
  const user = await requireUser({ returnTo: "/account/macros" });
  if (!isStaff(user)) notFound();
  const data = await withPageContext(user, async (scope) => {
    const all = (await listMacros(scope)).data;
    return {
      macros: all.filter((m) => !m.shared && m.ownerId === user.userId),
      shared: all.filter((m) => m.shared).length,
      refs: {
        agents: await assignableStaff(scope),
        groups: (await listGroups(scope)).data.map((g) => ({ id: g.id, name: g.name })),
        webhooks: [],
        calendars: [],
      },
    };
  });
  return (
    <>
      <div className={s.pageHead}>
        <h1>Your macros</h1>
        <p className="muted">
          Personal macros are offered only to you on the ticket page, next to the {data.shared} shared{" "}
          {data.shared === 1 ? "macro" : "macros"} of your team
          {user.role === "admin" ? " (managed on Admin → Macros)" : ""}.
        </p>
      </div>
      <section className="card" aria-labelledby="my-macros-title">
        <div className={s.section}>
          <h2 id="my-macros-title">Personal macros</h2>
          <MacrosAdmin macros={data.macros as MacroData[]} shared={false} refs={data.refs} />
        </div>
      </section>
    </>
  );
}
