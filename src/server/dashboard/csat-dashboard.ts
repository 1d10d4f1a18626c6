import "server-only";
import { sql } from "drizzle-orm";
import { assertCan } from "../authz/permissions";
import type { Scope } from "../core/scope";

// Satisfaction on the dashboard (issue 14 item 7, decision 051): the ratings of the last 12 weeks
// (by when they were last set), good and bad by week (the org's time zone, weeks from Monday), by
// agent and by group (the ticket's assignee and group when it was rated). Staff only.

export const CSAT_WEEKS = 12;

export type CsatCount = { good: number; bad: number };
export type CsatDashboard = CsatCount & {
  byWeek: (CsatCount & { week: string })[];
  byAgent: (CsatCount & { id: string | null; name: string })[];
  byGroup: (CsatCount & { id: string | null; name: string })[];
};

type Row = { key: string | null; name: string | null; good: string; bad: string };

export async function csatDashboard(scope: Pick<Scope, "tx" | "user">): Promise<CsatDashboard> {
  assertCan(scope.user, "ticket.internal.view");
  const org = scope.user.orgId;
  const since = sql`now() - make_interval(weeks => ${CSAT_WEEKS})`;
  const counts = sql`count(*) filter (where c.rating = 'good')::text as good, count(*) filter (where c.rating = 'bad')::text as bad`;
  const tz = sql`coalesce((select timezone from orgs where id = ${org}), 'UTC')`;
  const byWeek = await scope.tx
    .execute<Row>(sql`select to_char(date_trunc('week', c.updated_at at time zone ${tz}), 'YYYY-MM-DD') as key, null as name, ${counts}
    from csat_ratings c where c.org_id = ${org} and c.updated_at >= ${since} group by 1 order by 1`);
  const byAgent = await scope.tx.execute<Row>(sql`select c.assignee_id::text as key, u.name, ${counts}
    from csat_ratings c left join users u on u.org_id = c.org_id and u.id = c.assignee_id
    where c.org_id = ${org} and c.updated_at >= ${since} group by 1, 2 order by count(*) desc, 2`);
  const byGroup = await scope.tx.execute<Row>(sql`select c.group_id::text as key, g.name, ${counts}
    from csat_ratings c left join groups g on g.org_id = c.org_id and g.id = c.group_id
    where c.org_id = ${org} and c.updated_at >= ${since} group by 1, 2 order by count(*) desc, 2`);
  const n = (r: Row) => ({ good: Number(r.good), bad: Number(r.bad) });
  const weeks = byWeek.rows.map((r) => ({ week: r.key!, ...n(r) }));
  return {
    good: weeks.reduce((a, w) => a + w.good, 0),
    bad: weeks.reduce((a, w) => a + w.bad, 0),
    byWeek: weeks,
    byAgent: byAgent.rows.map((r) => ({
      id: r.key,
      name: r.key ? (r.name ?? "a former user") : "Unassigned",
      ...n(r),
    })),
    byGroup: byGroup.rows.map((r) => ({
      id: r.key,
      name: r.key ? (r.name ?? "a deleted group") : "No group",
      ...n(r),
    })),
  };
}
