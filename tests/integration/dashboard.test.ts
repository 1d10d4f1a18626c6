import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { withPageContext } from "../../src/server/auth/page-context";
import type { PageUser } from "../../src/server/auth/page-session";
import { slaDashboard, type SlaDashboard } from "../../src/server/dashboard/sla-dashboard";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { orgs } from "../../src/server/db/schema/orgs";
import { eq } from "drizzle-orm";
import { api, newTicket } from "../helpers/api";
import { createWorld, type Actor, type World } from "../helpers/world";

const exec = (q: ReturnType<typeof sql>) => unsafeWithSystem((tx) => tx.execute(q));

function pageUser(w: World, a: Actor): PageUser {
  return {
    userId: a.id,
    orgId: a.orgId,
    role: a.role,
    email: a.email,
    name: a.email,
    mustChangePassword: false,
    sessionVersion: a.sessionVersion,
    via: "session",
    org: { id: w.org.id, name: w.org.name, slug: w.org.slug },
  };
}
const dashboardAs = (w: World, a: Actor): Promise<SlaDashboard> =>
  withPageContext(pageUser(w, a), (ctx) => slaDashboard(ctx));

/** A breach event whose due time was `hoursAgo` hours ago (as the SLA scan records it). */
async function breach(ticketId: string, orgId: string, metric: string, hoursAgo: number) {
  await exec(sql`insert into sla_events (org_id, ticket_id, metric, kind, at, due_at)
    values (${orgId}, ${ticketId}, ${metric}::sla_metric, 'breach', now(), now() - make_interval(secs => ${Math.round(hoursAgo * 3600)}))`);
}

/** Local calendar date (YYYY-MM-DD) of an instant in a zone. */
const localDate = (ms: number, timeZone: string) =>
  new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }).format(
    new Date(ms),
  );

let w: World;
let other: World;
const t: Record<string, { id: string }> = {};

beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  // Day boundaries follow the org's zone, far from UTC so a UTC bucketing would show.
  await unsafeWithSystem((tx) => tx.update(orgs).set({ timezone: "Pacific/Kiritimati" }).where(eq(orgs.id, w.org.id)));

  t.urgentNew = await newTicket(w.agent, { requesterId: w.customer.id, priority: "urgent" });
  t.highOpen = await newTicket(w.agent, { requesterId: w.customer.id, priority: "high" });
  t.normalPending = await newTicket(w.agent, { requesterId: w.customer.id, priority: "normal" });
  t.lowSolved = await newTicket(w.agent, { requesterId: w.customer.id, priority: "low" });
  t.breachedOpen = await newTicket(w.agent, { requesterId: w.customer.id, priority: "high" });
  await api.patchTicket(w.agent, t.highOpen.id, { status: "open" });
  await api.patchTicket(w.agent, t.normalPending.id, { status: "pending" });
  await api.patchTicket(w.agent, t.lowSolved.id, { status: "solved" });
  await api.patchTicket(w.agent, t.breachedOpen.id, { status: "open" });

  // Due dates, set directly: urgent first response in 30 min, high resolution in 5 h 30 min,
  // pending (paused) resolution in 1 h — not running, so not due — and a solved one due in 2 h.
  await exec(
    sql`update tickets set next_response_due = null, first_response_due = now() + interval '30 minutes', resolve_due = now() + interval '3 days' where id = ${t.urgentNew.id}`,
  );
  await exec(
    sql`update tickets set next_response_due = null, first_response_at = now(), first_response_due = now() + interval '10 minutes', resolve_due = now() + interval '5 hours 30 minutes' where id = ${t.highOpen.id}`,
  );
  await exec(
    sql`update tickets set next_response_due = null, first_response_at = now(), resolve_due = now() + interval '1 hour', sla_paused_at = now() where id = ${t.normalPending.id}`,
  );
  await exec(
    sql`update tickets set next_response_due = null, first_response_due = now() + interval '2 hours', resolve_due = now() + interval '2 hours' where id = ${t.lowSolved.id}`,
  );
  await exec(
    sql`update tickets set next_response_due = null, first_response_due = now() - interval '20 minutes' where id = ${t.breachedOpen.id}`,
  );

  await breach(t.breachedOpen.id, w.org.id, "first_response", 0.25);
  await breach(t.urgentNew.id, w.org.id, "first_response", 26);
  await breach(t.urgentNew.id, w.org.id, "resolution", 26.5);
  await breach(t.highOpen.id, w.org.id, "resolution", 24 * 20); // outside the 14 days

  // Another org's tickets and breaches must not show.
  const foreign = await newTicket(other.agent, { requesterId: other.customer.id, priority: "urgent" });
  await exec(
    sql`update tickets set next_response_due = null, first_response_due = now() + interval '15 minutes' where id = ${foreign.id}`,
  );
  await breach(foreign.id, other.org.id, "first_response", 1);
});

describe("SLA dashboard aggregates", () => {
  it("counts breaches per org-local day over the last 14 days, by metric, today last", async () => {
    const d = await dashboardAs(w, w.agent);
    expect(d.timezone).toBe("Pacific/Kiritimati");
    expect(d.breachesPerDay).toHaveLength(14);
    const now = Date.now();
    expect(d.breachesPerDay.map((b) => b.date)).toEqual(
      Array.from({ length: 14 }, (_, i) => localDate(now - (13 - i) * 86_400_000, "Pacific/Kiritimati")),
    );
    const expected = new Map<string, number>();
    for (const h of [0.25, 26, 26.5]) {
      const day = localDate(now - h * 3_600_000, "Pacific/Kiritimati");
      expected.set(day, (expected.get(day) ?? 0) + 1);
    }
    expect(Object.fromEntries(d.breachesPerDay.filter((b) => b.total > 0).map((b) => [b.date, b.total]))).toEqual(
      Object.fromEntries(expected),
    );
    expect(d.breachesPerDay.reduce((a, b) => a + b.byMetric.resolution, 0)).toBe(1);
    expect(d.breachesPerDay.reduce((a, b) => a + b.byMetric.first_response, 0)).toBe(2);
  });

  it("buckets open tickets' soonest running target by hour from now; paused and solved do not count", async () => {
    const d = await dashboardAs(w, w.admin);
    expect(d.dueNext24h).toHaveLength(24);
    const nonZero = Object.fromEntries(d.dueNext24h.filter((h) => h.count > 0).map((h) => [h.hour, h.count]));
    // urgent: first response in 30 min → hour 0; high: resolution in 5.5 h → hour 5 (its first response was met).
    expect(nonZero).toEqual({ 0: 1, 5: 1 });
    expect(d.breachedNow).toBe(1);
  });

  it("counts open tickets by status and by priority", async () => {
    const d = await dashboardAs(w, w.agent);
    expect(Object.fromEntries(d.openByStatus.map((s) => [s.status, s.count]))).toEqual({
      new: 1,
      open: 2,
      pending: 1,
      on_hold: 0,
    });
    expect(Object.fromEntries(d.openByPriority.map((p) => [p.priority, p.count]))).toEqual({
      urgent: 1,
      high: 2,
      normal: 1,
      low: 0,
    });
    expect(d.openTotal).toBe(4);
  });

  it("shows each org only its own tickets and breaches", async () => {
    const d = await dashboardAs(other, other.agent);
    expect(d.openTotal).toBe(1);
    expect(d.breachesPerDay.reduce((a, b) => a + b.total, 0)).toBe(1);
    expect(d.dueNext24h.find((h) => h.hour === 0)?.count).toBe(1);
  });

  it("refuses customers", async () => {
    await expect(dashboardAs(w, w.customer)).rejects.toMatchObject({ code: "forbidden" });
  });

  it("reads breaches from the warn/breach index, not by scanning the org's whole SLA history", async () => {
    const plan = await withPageContext(pageUser(w, w.agent), async (ctx) => {
      await ctx.tx.execute(sql`set local enable_seqscan = off`);
      const r = await ctx.tx.execute<{ "QUERY PLAN": string }>(sql`explain select count(*) from sla_events e
        where e.org_id = ${w.org.id} and e.kind = 'breach' and e.due_at >= now() - interval '14 days' and e.due_at <= now()`);
      return r.rows.map((x) => x["QUERY PLAN"]).join("\n");
    });
    expect(plan).toContain("sla_events_once_key");
  });
});
