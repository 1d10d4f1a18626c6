import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { calendars, slaPolicies } from "../../src/server/db/schema/sla";
import { businessSecondsBetween } from "../../src/server/sla/sla-clock";
import { isWorkingTime } from "../../src/server/sla/calendar";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

let w: World;
const cal = {
  timezone: "America/New_York",
  intervals: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })),
  holidays: ["2026-12-25"],
};

beforeAll(async () => {
  w = await createWorld();
  await unsafeWithSystem(async (tx) => {
    const [c] = await tx
      .insert(calendars)
      .values({ orgId: w.org.id, name: "NY office", ...cal })
      .returning();
    await tx.execute(
      sql`update sla_policies set business_hours = true, calendar_id = ${c!.id} where org_id = ${w.org.id} and priority = 'low'`,
    );
  });
});

const setTicket = (id: string, assignments: ReturnType<typeof sql>) =>
  unsafeWithSystem((tx) => tx.execute(sql`update tickets set ${assignments} where id = ${id}`));

describe("SLA application on the ticket API", () => {
  it("a business-hours policy counts only working time in the calendar's timezone", async () => {
    const t = await newTicket(w.agent, { requesterId: w.customer.id, priority: "low" });
    const created = new Date(t.createdAt as string);
    const frDue = new Date(t.firstResponseDue as string);
    const resDue = new Date(t.resolveDue as string);
    expect(businessSecondsBetween(cal, created, frDue)).toBe(24 * 3600);
    expect(businessSecondsBetween(cal, created, resDue)).toBe(120 * 3600);
    // Three 8-hour days at least: never the wall-clock 24 h.
    expect(frDue.getTime() - created.getTime()).toBeGreaterThan(24 * 3600_000);
    expect(isWorkingTime(cal, new Date(frDue.getTime() - 1000))).toBe(true);
  });

  it("pending pauses resolution (not first response); resuming moves resolveDue later by the paused time", async () => {
    const t = await newTicket(w.customer); // normal: wall clock, 48 h
    // Customers do not see SLA due times (showSlaToCustomers is off by default): read as the agent.
    const due0 = new Date((await api.getTicket(w.agent, t.id)).body.resolveDue as string).getTime();
    const paused = await api.patchTicket(w.agent, t.id, { status: "pending" });
    expect(paused.body.sla!.resolution.paused).toBe(true);
    expect(paused.body.sla!.firstResponse.paused).toBe(false);
    // Pretend the pause began two hours ago.
    await setTicket(t.id, sql`sla_paused_at = sla_paused_at - interval '2 hours'`);
    const resumed = await api.patchTicket(w.agent, t.id, { status: "open" });
    expect(resumed.body.sla!.resolution.paused).toBe(false);
    const shift = new Date(resumed.body.resolveDue!).getTime() - due0;
    expect(Math.abs(shift - 2 * 3600_000)).toBeLessThan(2_000);
    const ev = (await api.events(w.agent, t.id)).body.data.map((e: { action: string }) => e.action);
    expect(ev).toEqual(expect.arrayContaining(["sla.resolution.pause", "sla.resolution.resume"]));
  });

  it("a priority change re-applies from createdAt, keeps paused time and a fulfilled first response", async () => {
    const t = await newTicket(w.customer);
    await api.addComment(w.agent, t.id, { body: "first!" });
    const fr = (await api.getTicket(w.agent, t.id)).body.firstResponseAt;
    await setTicket(t.id, sql`sla_paused_seconds = 3600`);
    const r = await api.patchTicket(w.agent, t.id, { priority: "urgent" });
    const created = new Date(r.body.createdAt).getTime();
    expect(r.body.firstResponseAt).toBe(fr);
    expect(new Date(r.body.resolveDue!).getTime() - created).toBe((4 + 1) * 3600_000);
  });

  it("breached is computed on read as soon as the due time passes unfulfilled", async () => {
    const t = await newTicket(w.agent, { requesterId: w.customer.id, priority: "urgent" });
    await setTicket(t.id, sql`first_response_due = now() - interval '1 minute'`);
    const v = (await api.getTicket(w.agent, t.id)).body;
    expect(v.sla!.firstResponse).toMatchObject({ breached: true, fulfilledAt: null });
    expect(v.sla!.resolution.breached).toBe(false);
  });

  it("solving fulfils resolution; reopening resumes it", async () => {
    const t = await newTicket(w.customer);
    const solved = await api.patchTicket(w.agent, t.id, { status: "solved" });
    expect(solved.body.sla!.resolution.fulfilledAt).toBe(solved.body.resolvedAt);
    const reopened = await api.patchTicket(w.agent, t.id, { status: "open" });
    expect(reopened.body.sla!.resolution.fulfilledAt).toBeNull();
    expect(reopened.body.resolveDue).not.toBeNull();
  });

  it("a customer reply after the first response starts next response; the agent's reply fulfils it", async () => {
    const t = await newTicket(w.customer); // normal has nextResponseMinutes = 240
    await api.addComment(w.agent, t.id, { body: "Hi" });
    await api.addComment(w.customer, t.id, { body: "Still broken" });
    const waiting = (await api.getTicket(w.agent, t.id)).body;
    expect(waiting.sla!.nextResponse).toMatchObject({ fulfilledAt: null, breached: false });
    await api.addComment(w.agent, t.id, { body: "Fixed" });
    const answered = (await api.getTicket(w.agent, t.id)).body;
    expect(answered.sla!.nextResponse).toBeUndefined();
  });

  it("a customer reply to a pending ticket reopens it, resumes resolution and starts next response", async () => {
    const t = await newTicket(w.customer); // normal: pauses on pending, nextResponseMinutes = 240
    await api.addComment(w.agent, t.id, { body: "Can you send a log?" });
    await api.patchTicket(w.agent, t.id, { status: "pending" });
    await setTicket(t.id, sql`sla_paused_at = sla_paused_at - interval '1 hour'`);
    const before = (await api.getTicket(w.agent, t.id)).body;
    expect(before.sla!.resolution.paused).toBe(true);
    await api.addComment(w.customer, t.id, { body: "Here it is" });
    const after = (await api.getTicket(w.agent, t.id)).body;
    expect(after.status).toBe("open");
    expect(after.sla!.resolution.paused).toBe(false);
    // The hour paused moved the resolution due date an hour later (wall clock); the reply started next response.
    expect(
      Math.abs(new Date(after.resolveDue!).getTime() - new Date(before.resolveDue!).getTime() - 3600_000),
    ).toBeLessThan(2_000);
    expect(after.sla!.nextResponse).toMatchObject({ fulfilledAt: null, breached: false, dueAt: expect.any(String) });
  });

  it("an org without policies gets no due dates", async () => {
    const bare = await createWorld();
    await unsafeWithSystem((tx) => tx.delete(slaPolicies).where(sql`org_id = ${bare.org.id}`));
    const t = await newTicket(bare.customer);
    expect((await api.getTicket(bare.agent, t.id)).body).toMatchObject({ firstResponseDue: null, resolveDue: null });
  });
});
