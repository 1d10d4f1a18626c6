import type { Metadata } from "next";
import s from "@/components/admin/admin.module.css";
import { GroupsAdmin, NewGroupForm } from "@/components/automation/groups-admin";
import { withPageContext } from "@/server/auth/page-context";
import { listGroups } from "@/server/automation/manage-groups";
import { assignableStaff } from "@/server/pages/automation-data";
import { requireAdmin } from "../require-admin";

export const metadata: Metadata = { title: "Groups" };

export default async function GroupsPage() {
  const user = await requireAdmin("/admin/groups");
  const data = await withPageContext(user, async (scope) => ({
    groups: (await listGroups(scope)).data,
    agents: await assignableStaff(scope),
  }));
  return (
    <>
      <div className={s.pageHead}>
        <h1>Groups</h1>
        <p className="muted">
          Teams of agents. Rules assign tickets within a group by round-robin or to the member with the fewest open
          tickets (chosen in each rule), skipping members marked away.
        </p>
      </div>
      <section className="card" aria-labelledby="groups-title">
        <div className={s.section}>
          <h2 id="groups-title">Groups</h2>
          <GroupsAdmin groups={data.groups} agents={data.agents} />
        </div>
      </section>
      <section className="card" aria-labelledby="new-group-title">
        <div className={s.section}>
          <h2 id="new-group-title">New group</h2>
          <NewGroupForm agents={data.agents} />
        </div>
      </section>
    </>
  );
}
