import type { CsatCount, CsatDashboard } from "@/server/dashboard/csat-dashboard";
import s from "./dashboard.module.css";

// The dashboard's satisfaction section (issue 14 item 7, decision 051): good and bad ratings of
// the last 12 weeks, by week, agent and group, as tables (screen readers read them as such).

const score = (c: CsatCount) => (c.good + c.bad ? `${Math.round((100 * c.good) / (c.good + c.bad))}%` : "–");

function CountTable({
  caption,
  head,
  rows,
  testId,
}: {
  caption: string;
  head: string;
  rows: (CsatCount & { key: string; label: string })[];
  testId: string;
}) {
  if (!rows.length) return <p className="muted">No ratings in the last 12 weeks.</p>;
  return (
    <table className={s.table} data-testid={testId}>
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">{head}</th>
          <th scope="col">Good</th>
          <th scope="col">Bad</th>
          <th scope="col">Satisfied</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key}>
            <th scope="row">{r.label}</th>
            <td>{r.good}</td>
            <td>{r.bad}</td>
            <td>{score(r)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export function CsatSection({ csat }: { csat: CsatDashboard }) {
  return (
    <section className={`card ${s.card}`} aria-labelledby="csat-title" data-testid="csat-dashboard">
      <h2 id="csat-title">Satisfaction, last 12 weeks</h2>
      <p>
        {csat.good + csat.bad ? `${score(csat)} satisfied: ${csat.good} good, ${csat.bad} bad.` : "No ratings yet."}
      </p>
      <h3>By week</h3>
      <CountTable
        caption="Ratings by week"
        head="Week of"
        testId="csat-by-week"
        rows={csat.byWeek.map((w) => ({ ...w, key: w.week, label: w.week }))}
      />
      <h3>By agent</h3>
      <CountTable
        caption="Ratings by agent"
        head="Agent"
        testId="csat-by-agent"
        rows={csat.byAgent.map((a) => ({ ...a, key: a.id ?? "none", label: a.name }))}
      />
      <h3>By group</h3>
      <CountTable
        caption="Ratings by group"
        head="Group"
        testId="csat-by-group"
        rows={csat.byGroup.map((g) => ({ ...g, key: g.id ?? "none", label: g.name }))}
      />
    </section>
  );
}
