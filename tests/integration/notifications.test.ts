import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as listNotifications, POST as markRead } from "../helpers/http";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { enqueue } from "../../src/server/jobs/enqueue";
import { QUEUES } from "../../src/server/jobs/queues";
import { handleNotify } from "../../src/server/notifications/notify";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { jobsIn } from "../helpers/jobs";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});

const notificationsOf = (userId: string) =>
  unsafeWithSystem((tx) =>
    tx.execute<{ kind: string; ticket_id: string; idempotency_key: string }>(
      sql`select kind, ticket_id, idempotency_key from notifications where user_id = ${userId} order by created_at`,
    ),
  ).then((r) => r.rows);

describe("jobs are enqueued in the transaction of the change", () => {
  it("a committed change has its job; a rolled-back one has none", async () => {
    const t = await newTicket(w.customer);
    expect(await jobsIn(QUEUES.notify.name, { ticketId: t.id, kind: "ticket.created" })).toHaveLength(1);
    await expect(
      withTenant(w.org.id, async (tx) => {
        await enqueue(tx, QUEUES.notify.name, {
          orgId: w.org.id,
          kind: "ticket.created",
          ticketId: t.id,
          actorId: "00000000-0000-4000-8000-000000000001",
        });
        throw new Error("roll back");
      }),
    ).rejects.toThrow("roll back");
    expect(await jobsIn(QUEUES.notify.name, { ticketId: t.id, kind: "ticket.created" })).toHaveLength(1);
  });

  it("replies and assignment enqueue their notifications; internal notes do not", async () => {
    const t = await newTicket(w.customer);
    await api.addComment(w.agent, t.id, { body: "note", internal: true });
    await api.addComment(w.agent, t.id, { body: "public" });
    await api.patchTicket(w.agent, t.id, { assigneeId: w.agent2.id });
    expect(await jobsIn(QUEUES.notify.name, { ticketId: t.id, kind: "ticket.replied" })).toHaveLength(1);
    expect(
      await jobsIn(QUEUES.notify.name, { ticketId: t.id, kind: "ticket.assigned", assigneeId: w.agent2.id }),
    ).toHaveLength(1);
  });
});

describe("notification fan-out", () => {
  it("a new ticket notifies every agent and admin, not the customer who opened it", async () => {
    const t = await newTicket(w.customer);
    const r = await handleNotify({ orgId: w.org.id, kind: "ticket.created", ticketId: t.id, actorId: w.customer.id });
    expect(r.notified).toBe(3);
    for (const u of [w.admin, w.agent, w.agent2])
      expect((await notificationsOf(u.id)).some((n) => n.ticket_id === t.id)).toBe(true);
    expect((await notificationsOf(w.customer.id)).some((n) => n.ticket_id === t.id)).toBe(false);
  });

  it("is idempotent: the same job twice notifies once", async () => {
    const t = await newTicket(w.customer);
    const job = {
      orgId: w.org.id,
      kind: "sla.breach" as const,
      ticketId: t.id,
      metric: "first_response" as const,
      dueAt: "2026-01-01T00:00:00.000Z",
    };
    const first = await handleNotify(job);
    const again = await handleNotify(job);
    expect(first.notified).toBe(3); // unassigned: all staff
    expect(again.notified).toBe(0);
    await api.patchTicket(w.agent, t.id, { assigneeId: w.agent2.id });
    // A different due date is a different event: the assignee alone hears of it.
    const later = await handleNotify({ ...job, dueAt: "2026-01-02T00:00:00.000Z" });
    expect(later.notified).toBe(1);
  });

  it("a public staff reply notifies the requester; a customer reply notifies the assignee", async () => {
    const t = await newTicket(w.customer);
    await api.patchTicket(w.agent, t.id, { assigneeId: w.agent.id });
    expect(
      (
        await handleNotify({
          orgId: w.org.id,
          kind: "ticket.replied",
          ticketId: t.id,
          actorId: w.agent2.id,
          commentId: "00000000-0000-4000-8000-0000000000a1",
        })
      ).notified,
    ).toBe(1);
    expect(
      (await notificationsOf(w.customer.id)).filter((n) => n.ticket_id === t.id && n.kind === "ticket.replied"),
    ).toHaveLength(1);
    expect(
      (
        await handleNotify({
          orgId: w.org.id,
          kind: "ticket.replied",
          ticketId: t.id,
          actorId: w.customer.id,
          commentId: "00000000-0000-4000-8000-0000000000a2",
        })
      ).notified,
    ).toBe(1);
    expect(
      (await notificationsOf(w.agent.id)).filter((n) => n.ticket_id === t.id && n.kind === "ticket.replied"),
    ).toHaveLength(1);
  });

  it("queues one email job per notification created", async () => {
    const t = await newTicket(w.customer);
    await handleNotify({ orgId: w.org.id, kind: "ticket.created", ticketId: t.id, actorId: w.customer.id });
    const emails = await jobsIn(QUEUES.email.name, { orgId: w.org.id });
    const ids = await unsafeWithSystem((tx) =>
      tx.execute<{ id: string }>(sql`select id from notifications where ticket_id = ${t.id}`),
    );
    for (const { id } of ids.rows) expect(emails.filter((j) => j.data.notificationId === id)).toHaveLength(1);
  });
});

describe("GET /api/v1/notifications and POST /read", () => {
  it("lists only your own, newest first, with the unread count; marks read", async () => {
    const t = await newTicket(w.customer);
    await handleNotify({ orgId: w.org.id, kind: "ticket.created", ticketId: t.id, actorId: w.customer.id });
    const r = await call(listNotifications, "GET", "/api/v1/notifications", { cookie: w.agent.cookie });
    expect(r.status).toBe(200);
    expect(r.body.unreadCount).toBeGreaterThan(0);
    expect(r.body.data[0]).toMatchObject({ kind: "ticket.created", ticketId: t.id, readAt: null });
    const mine = r.body.data.map((n: { id: string }) => n.id);
    // Someone else's id is not touched.
    const theirs = (await call(listNotifications, "GET", "/api/v1/notifications", { cookie: w.agent2.cookie })).body
      .data[0]!.id;
    const marked = await call(markRead, "POST", "/api/v1/notifications/read", {
      cookie: w.agent.cookie,
      body: { ids: [mine[0], theirs] },
    });
    expect(marked.body).toEqual({ updated: 1 });
    const all = await call(markRead, "POST", "/api/v1/notifications/read", {
      cookie: w.agent.cookie,
      body: { all: true },
    });
    expect(all.status).toBe(200);
    const after = await call(listNotifications, "GET", "/api/v1/notifications", {
      cookie: w.agent.cookie,
      query: { unread: "true" },
    });
    expect(after.body).toMatchObject({ data: [], unreadCount: 0 });
    const agent2 = await call(listNotifications, "GET", "/api/v1/notifications", {
      cookie: w.agent2.cookie,
      query: { unread: "true" },
    });
    expect(agent2.body.unreadCount).toBeGreaterThan(0);
    for (const body of [{}, { ids: [] }, { ids: ["x"] }, { all: false }]) {
      expect(
        (await call(markRead, "POST", "/api/v1/notifications/read", { cookie: w.agent.cookie, body })).status,
      ).toBe(400);
    }
  });

  it("another org's user sees none of this org's notifications", async () => {
    const r = await call(listNotifications, "GET", "/api/v1/notifications", { cookie: other.agent.cookie });
    expect(r.body.data).toEqual([]);
  });
});
