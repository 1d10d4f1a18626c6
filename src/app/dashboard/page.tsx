import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";
import { AppHeader } from "@/components/app-header";
import { BarChart, LinkedBars } from "@/components/dashboard/bar-chart";
import s from "@/components/dashboard/dashboard.module.css";
import { PRIORITY_LABELS, STATUS_LABELS } from "@/lib/ticket-labels";
import { withPageContext } from "@/server/auth/page-context";
import { requireUser } from "@/server/auth/page-session";
import { slaDashboard } from "@/server/dashboard/sla-dashboard";
import { csatDashboard } from "@/server/dashboard/csat-dashboard";
import { CsatSection } from "@/components/dashboard/csat-section";
import { isStaff } from "@/server/authz/permissions";

export const metadata: Metadata = { title: "SLA dashboard" };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const dayLabel = (date: string, opts: Intl.DateTimeFormatOptions) =>
  new Date(`${date}T12:00:00Z`).toLocaleDateString("en-GB", { ...opts, timeZone: "UTC" });

/** Staff only: SLA breaches over two weeks, what falls due in the next day, and open tickets by status and priority. */
export default async function DashboardPage() {
  const user = await requireUser({ returnTo: "/dashboard" });
  if (!isStaff(user)) notFound();
  const { d, csat } = await withPageContext(user, async (scope) => ({
    d: await slaDashboard(scope),
    csat: await csatDashboard(scope),
  }));

  const clock = (iso: string) =>
    new Date(iso).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", timeZone: d.timezone });
  const breaches14 = d.breachesPerDay.reduce((a, b) => a + b.total, 0);
  const due24 = d.dueNext24h.reduce((a, b) => a + b.count, 0);
  const dueSoon = d.dueNext24h.slice(0, 2).reduce((a, b) => a + b.count, 0);
  const worstDay = d.breachesPerDay.reduce((w, b) => (b.total > w.total ? b : w), d.breachesPerDay[0]!);
  const busiestHour = d.dueNext24h.reduce((w, b) => (b.count > w.count ? b : w), d.dueNext24h[0]!);

  const stats = [
    { label: "Open tickets", value: d.openTotal, href: "/?view=all", tone: "" },
    { label: "Past due now", value: d.breachedNow, href: "/?view=breaching", tone: d.breachedNow ? s.statDanger : "" },
    { label: "Due in the next 2 hours", value: dueSoon, href: "/?view=breaching", tone: dueSoon ? s.statWarn : "" },
    { label: "Due in the next 24 hours", value: due24, href: "/?view=all&sort=resolveDue", tone: "" },
    { label: "Breaches in 14 days", value: breaches14, href: null, tone: "" },
  ];

  return (
    <>
      <AppHeader user={user} />
      <main id="main" className={s.page}>
        <div className={s.head}>
          <h1>SLA dashboard</h1>
          <p className="muted">
            As of {clock(d.generatedAt)} ({d.timezone}) · <Link href="/dashboard">Refresh</Link>
          </p>
        </div>

        <ul className={s.stats} aria-label="Headline numbers">
          {stats.map((st) => (
            <li key={st.label}>
              {st.href ? (
                <Link href={st.href} className={`${s.stat} ${st.tone}`}>
                  <span className={s.statValue}>{st.value}</span>
                  <span className={s.statLabel}>{st.label}</span>
                </Link>
              ) : (
                <div className={`${s.stat} ${st.tone}`}>
                  <span className={s.statValue}>{st.value}</span>
                  <span className={s.statLabel}>{st.label}</span>
                </div>
              )}
            </li>
          ))}
        </ul>

        <div className={s.charts}>
          <section className={`card ${s.card} ${s.wide}`} aria-labelledby="breaches-title">
            <div className={s.cardHead}>
              <h2 id="breaches-title">Breaches per day</h2>
              <Link href="/?view=breaching">Tickets breaching now or soon</Link>
            </div>
            <p className="muted">
              SLA targets missed on each of the last 14 days (days in {d.timezone}), by the time they fell due.
            </p>
            <BarChart
              testId="breach-chart"
              bars={d.breachesPerDay.map((b, i) => ({
                key: b.date,
                axisLabel:
                  i === d.breachesPerDay.length - 1 ? "Today" : dayLabel(b.date, { day: "numeric", month: "short" }),
                value: b.total,
                tone: "danger",
                title: `${dayLabel(b.date, { weekday: "short", day: "numeric", month: "short" })}: ${plural(b.total, "breach", "breaches")}`,
              }))}
              labelEvery={2}
              labelFromEnd
              summary={
                breaches14
                  ? `Bar chart of SLA breaches per day over the last 14 days: ${plural(breaches14, "breach", "breaches")} in total, most on ${dayLabel(worstDay.date, { weekday: "long", day: "numeric", month: "long" })} (${worstDay.total}).`
                  : "Bar chart of SLA breaches per day over the last 14 days: no breaches."
              }
              table={{
                caption: "SLA breaches per day, oldest first",
                head: ["Day", "First response", "Next response", "Resolution", "Total"],
                rows: d.breachesPerDay.map((b) => [
                  dayLabel(b.date, { weekday: "short", day: "numeric", month: "short" }),
                  b.byMetric.first_response,
                  b.byMetric.next_response,
                  b.byMetric.resolution,
                  b.total,
                ]),
              }}
            />
          </section>

          <section className={`card ${s.card} ${s.wide}`} aria-labelledby="due-title">
            <div className={s.cardHead}>
              <h2 id="due-title">Due in the next 24 hours</h2>
              <Link href="/?view=all&sort=resolveDue">Open tickets, soonest due first</Link>
            </div>
            <p className="muted">
              Open tickets by the hour their next SLA target falls due. Paused tickets are not counted.
            </p>
            <BarChart
              testId="due-chart"
              bars={d.dueNext24h.map((h) => ({
                key: String(h.hour),
                axisLabel: h.hour === 0 ? "now" : `+${h.hour}h`,
                value: h.count,
                tone: h.hour < 2 ? "warn" : undefined,
                title: `Due ${clock(h.from)}–${clock(new Date(new Date(h.from).getTime() + 3_600_000).toISOString())}: ${plural(h.count, "ticket")}`,
              }))}
              labelEvery={3}
              summary={
                due24
                  ? `Bar chart of open tickets due per hour over the next 24 hours: ${plural(due24, "ticket")} in total, ${dueSoon} within 2 hours, the busiest hour starting at ${clock(busiestHour.from)} (${busiestHour.count}).`
                  : "Bar chart of open tickets due per hour over the next 24 hours: nothing falls due."
              }
              legend={
                <ul className={s.legend}>
                  <li>
                    <span className={`${s.swatch} ${s.swatchWarn}`} aria-hidden="true" />
                    Within 2 hours (the Breaching soon view)
                  </li>
                  <li>
                    <span className={s.swatch} aria-hidden="true" />
                    Later
                  </li>
                </ul>
              }
              table={{
                caption: `Open tickets due per hour, times in ${d.timezone}`,
                head: ["Hour", "Tickets"],
                rows: d.dueNext24h.map((h) => [
                  `${clock(h.from)}–${clock(new Date(new Date(h.from).getTime() + 3_600_000).toISOString())}`,
                  h.count,
                ]),
              }}
            />
          </section>

          <section className={`card ${s.card}`} aria-labelledby="status-title">
            <h2 id="status-title">Open tickets by status</h2>
            <LinkedBars
              testId="status-bars"
              label="Open tickets by status"
              bars={d.openByStatus.map((b) => ({
                key: b.status,
                label: <span className={`chip status-${b.status}`}>{STATUS_LABELS[b.status]}</span>,
                value: b.count,
                href: `/?view=all&status=${b.status}`,
                linkLabel: `${STATUS_LABELS[b.status]}: ${plural(b.count, "ticket")}`,
              }))}
            />
          </section>

          <section className={`card ${s.card}`} aria-labelledby="priority-title">
            <h2 id="priority-title">Open tickets by priority</h2>
            <LinkedBars
              testId="priority-bars"
              label="Open tickets by priority"
              bars={d.openByPriority.map((b) => ({
                key: b.priority,
                label: <span className={`chip priority-${b.priority}`}>{PRIORITY_LABELS[b.priority]}</span>,
                value: b.count,
                href: `/?view=all&priority=${b.priority}`,
                linkLabel: `${PRIORITY_LABELS[b.priority]} priority: ${plural(b.count, "open ticket")}`,
              }))}
            />
          </section>
        </div>
        <CsatSection csat={csat} />
      </main>
    </>
  );
}
