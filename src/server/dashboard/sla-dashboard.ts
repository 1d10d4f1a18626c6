import "server-only";
import { sql } from "drizzle-orm";
import { forbidden } from "../core/errors";
import type { Scope } from "../core/scope";
import { isStaff } from "../authz/permissions";
import { OPEN_STATUSES, PRIORITIES } from "../lifecycle/ticket-lifecycle";

// The staff dashboard's aggregates (/dashboard). Every query runs in the caller's tenant
// transaction (RLS) and also names the org explicitly, so each one starts from an index whose
// leading column is org_id:
// - breaches per day: sla_events_once_key (org_id, ticket_id, metric, kind, due_at) WHERE kind in
//   ('warn','breach') — an index-only scan over the org's warn/breach rows, never its apply/pause/
//   fulfil history;
// - open tickets and due dates: tickets_org_status_idx (org_id, status, …) — only open tickets.

export { OPEN_STATUSES };
export const DASHBOARD_PRIORITIES = PRIORITIES;
export const BREACH_DAYS = 14;
export const DUE_HOURS = 24;

type OpenStatus = (typeof OPEN_STATUSES)[number];
type Metric = "first_response" | "next_response" | "resolution";

export type BreachDay = { date: string; total: number; byMetric: Record<Metric, number> };
export type DueHour = { hour: number; from: string; count: number };

export type SlaDashboard = {
  generatedAt: string;
  /** The org's time zone: breach days are its calendar days. */
  timezone: string;
  /** Oldest first, one entry per day (today last), days without breaches included. */
  breachesPerDay: BreachDay[];
  /** Open tickets whose soonest running SLA target falls in hour N from now (N = 0…23). */
  dueNext24h: DueHour[];
  openByStatus: { status: OpenStatus; count: number }[];
  openByPriority: { priority: (typeof DASHBOARD_PRIORITIES)[number]; count: number }[];
  /** Open tickets with a running target already past due. */
  breachedNow: number;
  openTotal: number;
};

const openStatusList = sql.join(
  OPEN_STATUSES.map((s) => sql`${s}::ticket_status`),
  sql`, `,
);

/** The soonest running SLA target of a ticket (null when none runs): unmet first response, unpaused unmet resolution, pending next response. */
const soonestDue = sql`least(
  case when first_response_at is null then first_response_due end,
  case when resolved_at is null and sla_paused_at is null then resolve_due end,
  next_response_due)`;

export async function slaDashboard(scope: Pick<Scope, "tx" | "user">): Promise<SlaDashboard> {
  if (!isStaff(scope.user)) throw forbidden("the dashboard is for agents and admins");
  const orgId = scope.user.orgId;

  const tzRows = await scope.tx.execute<{ timezone: string; now: string }>(
    sql`select timezone, now()::text as now from orgs where id = ${orgId}`,
  );
  const timezone = tzRows.rows[0]?.timezone ?? "UTC";
  const now = new Date(tzRows.rows[0]?.now ?? Date.now());

  const breaches = await scope.tx.execute<{ day: string; metric: Metric | null; n: number }>(sql`
    with days as (
      select d::date as day
        from generate_series((now() at time zone ${timezone})::date - ${BREACH_DAYS - 1}::int,
                             (now() at time zone ${timezone})::date, interval '1 day') d
    ), counts as (
      select (e.due_at at time zone ${timezone})::date as day, e.metric::text as metric, count(*)::int as n
        from sla_events e
       where e.org_id = ${orgId}
         and e.kind = 'breach'
         and e.due_at >= ((now() at time zone ${timezone})::date - ${BREACH_DAYS - 1}::int)::timestamp at time zone ${timezone}
         and e.due_at <= now()
       group by 1, 2
    )
    select to_char(days.day, 'YYYY-MM-DD') as day, counts.metric, coalesce(counts.n, 0)::int as n
      from days left join counts on counts.day = days.day
     order by days.day`);
  const byDay = new Map<string, BreachDay>();
  for (const r of breaches.rows) {
    const d = byDay.get(r.day) ?? {
      date: r.day,
      total: 0,
      byMetric: { first_response: 0, next_response: 0, resolution: 0 },
    };
    if (r.metric) {
      d.byMetric[r.metric] += r.n;
      d.total += r.n;
    }
    byDay.set(r.day, d);
  }

  const open = await scope.tx.execute<{
    status: OpenStatus;
    priority: (typeof DASHBOARD_PRIORITIES)[number];
    n: number;
  }>(sql`
    select status::text as status, priority::text as priority, count(*)::int as n
      from tickets
     where org_id = ${orgId} and status in (${openStatusList})
     group by 1, 2`);
  const statusCount = (s: OpenStatus) => open.rows.filter((r) => r.status === s).reduce((a, r) => a + r.n, 0);
  const priorityCount = (p: (typeof DASHBOARD_PRIORITIES)[number]) =>
    open.rows.filter((r) => r.priority === p).reduce((a, r) => a + r.n, 0);

  const due = await scope.tx.execute<{ hour: number | null; n: number }>(sql`
    with running as (
      select ${soonestDue} as due
        from tickets
       where org_id = ${orgId} and status in (${openStatusList})
    )
    select case when due < now() then null else floor(extract(epoch from (due - now())) / 3600)::int end as hour, count(*)::int as n
      from running
     where due < now() + make_interval(hours => ${DUE_HOURS})
     group by 1`);
  const dueByHour = new Map(due.rows.filter((r) => r.hour !== null).map((r) => [r.hour!, r.n]));

  return {
    generatedAt: now.toISOString(),
    timezone,
    breachesPerDay: [...byDay.values()],
    dueNext24h: Array.from({ length: DUE_HOURS }, (_, hour) => ({
      hour,
      from: new Date(now.getTime() + hour * 3_600_000).toISOString(),
      count: dueByHour.get(hour) ?? 0,
    })),
    openByStatus: OPEN_STATUSES.map((status) => ({ status, count: statusCount(status) })),
    openByPriority: DASHBOARD_PRIORITIES.map((priority) => ({ priority, count: priorityCount(priority) })),
    breachedNow: due.rows.find((r) => r.hour === null)?.n ?? 0,
    openTotal: open.rows.reduce((a, r) => a + r.n, 0),
  };
}
