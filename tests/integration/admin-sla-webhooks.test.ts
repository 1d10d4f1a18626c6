import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { apiRoute as policies, apiRoute as policy } from "../helpers/http";
import { apiRoute as hooks, apiRoute as hook, apiRoute as deliveries } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { QUEUES } from "../../src/server/jobs/queues";
import { reapplyPolicy } from "../../src/server/sla-policies/reapply-policy";
import { businessSecondsBetween } from "../../src/server/sla/sla-clock";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { jobsIn } from "../helpers/jobs";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const as = (who: { cookie: string }, o: Record<string, unknown> = {}) => ({ cookie: who.cookie, ...o });
const cal = {
  name: "Berlin office",
  timezone: "Europe/Berlin",
  intervals: [1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })),
  holidays: ["2026-12-24"],
};

describe("SLA policies API", () => {
  it("admins list the org's policies; agents, customers are 403; other orgs' policies are 404", async () => {
    const r = await call(policies.GET, "GET", "/api/v1/sla-policies", as(w.admin));
    expect(r.status).toBe(200);
    expect(r.body.data.map((p: { priority: string }) => p.priority)).toEqual(["urgent", "high", "normal", "low"]);
    expect((await call(policies.GET, "GET", "/api/v1/sla-policies", as(w.agent))).status).toBe(403);
    expect((await call(policies.GET, "GET", "/api/v1/sla-policies", as(w.customer))).status).toBe(403);
    const theirs = (await call(policies.GET, "GET", "/api/v1/sla-policies", as(other.admin))).body.data[0]!.id;
    const patch = await call(
      policy.PATCH,
      "PATCH",
      `/api/v1/sla-policies/${theirs}`,
      as(w.admin, { params: { id: theirs }, body: { resolveMinutes: 1 } }),
    );
    expect(patch.status).toBe(404);
    expect(
      (await call(policy.DELETE, "DELETE", `/api/v1/sla-policies/${theirs}`, as(w.admin, { params: { id: theirs } })))
        .status,
    ).toBe(404);
  });

  it("a second policy for a priority is 409; bad calendars and targets are 400", async () => {
    const dup = await call(
      policies.POST,
      "POST",
      "/api/v1/sla-policies",
      as(w.admin, { body: { priority: "low", firstResponseMinutes: 60, resolveMinutes: 120 } }),
    );
    expect(dup.status).toBe(409);
    const normal = (await call(policies.GET, "GET", "/api/v1/sla-policies", as(w.admin))).body.data.find(
      (p: { priority: string }) => p.priority === "normal",
    );
    const bad = [
      { businessHours: true },
      { calendar: { ...cal, timezone: "Mars/Olympus" } },
      {
        calendar: {
          ...cal,
          intervals: [
            { day: 1, start: "09:00", end: "12:00" },
            { day: 1, start: "11:00", end: "13:00" },
          ],
        },
      },
      { calendar: { ...cal, intervals: [{ day: 7, start: "09:00", end: "17:00" }] } },
      { calendar: { ...cal, holidays: ["2026-02-30"] } },
      { firstResponseMinutes: 0 },
      { resolveMinutes: 1.5 },
      { pauseOn: ["open"] },
    ];
    for (const body of bad) {
      const r = await call(
        policy.PATCH,
        "PATCH",
        `/api/v1/sla-policies/${normal!.id}`,
        as(w.admin, { params: { id: normal!.id }, body }),
      );
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
  });

  it("editing a policy re-applies it to open tickets of that priority in a job", async () => {
    const t = await newTicket(w.agent, { requesterId: w.customer.id, priority: "high" });
    const solved = await newTicket(w.agent, { requesterId: w.customer.id, priority: "high" });
    await api.patchTicket(w.agent, solved.id, { status: "solved" });
    const high = (await call(policies.GET, "GET", "/api/v1/sla-policies", as(w.admin))).body.data.find(
      (p: { priority: string }) => p.priority === "high",
    );
    const r = await call(
      policy.PATCH,
      "PATCH",
      `/api/v1/sla-policies/${high!.id}`,
      as(w.admin, {
        params: { id: high!.id },
        body: { firstResponseMinutes: 120, businessHours: true, calendar: cal },
      }),
    );
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({
      firstResponseMinutes: 120,
      businessHours: true,
      calendar: { timezone: "Europe/Berlin", holidays: ["2026-12-24"] },
    });
    const jobs = await jobsIn(QUEUES.slaReapply.name, { orgId: w.org.id, priority: "high" });
    expect(jobs).toHaveLength(1);
    const result = await reapplyPolicy({ orgId: w.org.id, priority: "high" });
    expect(result.tickets).toBeGreaterThanOrEqual(1);
    const after = (await api.getTicket(w.agent, t.id)).body;
    expect(businessSecondsBetween(cal, new Date(after.createdAt), new Date(after.firstResponseDue!))).toBe(120 * 60);
    const untouched = (await api.getTicket(w.agent, solved.id)).body;
    expect(untouched.firstResponseDue).toBe(solved.firstResponseDue);
    const ev = (await api.events(w.agent, t.id)).body.data.filter(
      (e: { action: string; data: { reason?: string } }) => e.data.reason === "policy_change",
    );
    expect(ev.length).toBeGreaterThanOrEqual(1);
  });

  it("deleting a policy removes unmet targets from its open tickets", async () => {
    const t = await newTicket(w.agent, { requesterId: w.customer.id, priority: "urgent" });
    const urgent = (await call(policies.GET, "GET", "/api/v1/sla-policies", as(w.admin))).body.data.find(
      (p: { priority: string }) => p.priority === "urgent",
    );
    expect(
      (
        await call(
          policy.DELETE,
          "DELETE",
          `/api/v1/sla-policies/${urgent!.id}`,
          as(w.admin, { params: { id: urgent!.id } }),
        )
      ).status,
    ).toBe(204);
    await reapplyPolicy({ orgId: w.org.id, priority: "urgent" });
    expect((await api.getTicket(w.agent, t.id)).body).toMatchObject({ firstResponseDue: null, resolveDue: null });
    const created = await call(
      policies.POST,
      "POST",
      "/api/v1/sla-policies",
      as(w.admin, {
        body: { priority: "urgent", firstResponseMinutes: 30, resolveMinutes: 240, nextResponseMinutes: 60 },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      priority: "urgent",
      firstResponseMinutes: 30,
      businessHours: false,
      calendar: null,
      pauseOn: ["pending"],
    });
  });
});

describe("webhooks API", () => {
  it("creates with a secret shown once, lists without it, rotates, deletes; admin only; cross-org 404", async () => {
    const created = await call(
      hooks.POST,
      "POST",
      "/api/v1/webhooks",
      as(w.admin, {
        body: { url: "https://hooks.example/beacon", events: ["sla.breach", "sla.warning", "sla.breach"] },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      url: "https://hooks.example/beacon",
      events: ["sla.breach", "sla.warning"],
      active: true,
    });
    expect(created.body.secret).toMatch(/^whsec_/);
    const id = created.body.id;
    const list = await call(hooks.GET, "GET", "/api/v1/webhooks", as(w.admin));
    expect(list.body.data[0]!.secret).toBeUndefined();
    expect(list.body.data[0]!.secretHint).toBe(`…${created.body.secret!.slice(-4)}`);
    const rotated = await call(
      hook.PATCH,
      "PATCH",
      `/api/v1/webhooks/${id}`,
      as(w.admin, { params: { id }, body: { rotateSecret: true, active: false } }),
    );
    expect(rotated.body.secret).not.toBe(created.body.secret);
    expect(rotated.body.active).toBe(false);
    expect((await call(hooks.GET, "GET", "/api/v1/webhooks", as(w.agent))).status).toBe(403);
    expect(
      (
        await call(
          hook.PATCH,
          "PATCH",
          `/api/v1/webhooks/${id}`,
          as(other.admin, { params: { id }, body: { active: true } }),
        )
      ).status,
    ).toBe(404);
    expect(
      (await call(deliveries.GET, "GET", `/api/v1/webhooks/${id}/deliveries`, as(other.admin, { params: { id } })))
        .status,
    ).toBe(404);
    const d = await call(deliveries.GET, "GET", `/api/v1/webhooks/${id}/deliveries`, as(w.admin, { params: { id } }));
    expect(d.body).toEqual({ data: [], nextCursor: null });
    expect((await call(hook.DELETE, "DELETE", `/api/v1/webhooks/${id}`, as(w.admin, { params: { id } }))).status).toBe(
      204,
    );
    expect((await call(hook.DELETE, "DELETE", `/api/v1/webhooks/${id}`, as(w.admin, { params: { id } }))).status).toBe(
      404,
    );
    const secrets = await unsafeWithSystem((tx) =>
      tx.execute(sql`select count(*)::int as n from webhooks where org_id = ${w.org.id}`),
    );
    expect(secrets.rows[0]).toEqual({ n: 0 });
  });

  it("rejects bad URLs and event names", async () => {
    for (const body of [
      { url: "ftp://x.example", events: ["sla.breach"] },
      { url: "https://user:pw@x.example", events: ["sla.breach"] },
      { url: "not a url", events: ["sla.breach"] },
      { url: "https://x.example", events: [] },
      { url: "https://x.example", events: ["ticket.deleted"] },
      { url: "https://x.example", events: ["sla.breach"], secret: "mine" },
    ]) {
      expect(
        (await call(hooks.POST, "POST", "/api/v1/webhooks", as(w.admin, { body }))).status,
        JSON.stringify(body),
      ).toBe(400);
    }
  });
});
