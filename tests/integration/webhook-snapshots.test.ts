import { createHmac } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WEBHOOK_PAYLOADS } from "../../src/server/api/openapi-webhooks";
import { webhooks } from "../../src/server/db/schema/notifications";
import { setSlaCheck } from "../helpers/sla-checks";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { QUEUES, ZNotifyJob } from "../../src/server/jobs/queues";
import { handleNotify } from "../../src/server/notifications/notify";
import { handleWebhook } from "../../src/server/notifications/webhook-delivery";
import { unsafeScanSlas } from "../../src/server/sla/scan";
import { api, newTicket } from "../helpers/api";
import { jobsIn } from "../helpers/jobs";
import { startReceiver } from "../helpers/receivers";
import { createWorld, type World } from "../helpers/world";

// Webhook payloads are snapshots (issue 20 "Webhooks", decision 043): the ticket as it was at the
// event, taken in the transaction that caused it, with eventId, occurredAt, event, the actor and,
// for updates, changes {field: [from, to]}; one ticket's deliveries go out in event order.

let w: World;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
const SECRET = "whsec_snapshot_test_0123456789";

beforeAll(async () => {
  w = await createWorld();
  receiver = await startReceiver([204]);
  await unsafeWithSystem((tx) =>
    tx.insert(webhooks).values({
      orgId: w.org.id,
      url: receiver.url,
      secret: SECRET,
      events: ["ticket.created", "ticket.assigned", "ticket.replied", "sla.breach"],
    }),
  );
});
afterAll(async () => {
  await unsafeWithSystem((tx) => tx.execute(sql`delete from webhooks where org_id = ${w.org.id}`));
  await receiver.close();
});

/** Runs the ticket's queued notify jobs now, in the order they were queued, as the worker would. */
async function runNotifyJobs(ticketId: string) {
  for (const job of await jobsIn(QUEUES.notify.name, { ticketId })) await handleNotify(ZNotifyJob.parse(job.data));
}

const deliveriesOf = async (ticketId: string) =>
  (
    await unsafeWithSystem((tx) =>
      tx.execute<{ id: string; event: string }>(
        sql`select id, event from webhook_deliveries where ticket_id = ${ticketId} order by occurred_at, id`,
      ),
    )
  ).rows;

const hitsFor = (ticketId: string) =>
  receiver.hits
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    .map((h) => ({ ...h, json: JSON.parse(h.body) as Record<string, any> }))
    .filter((h) => h.json.ticket?.id === ticketId);

describe("webhook payloads are the state at the event", () => {
  it("an SLA breach found by the scan carries the ticket as the scan saw it, even when it changed before the job ran", async () => {
    const t = await newTicket(w.customer, { subject: "Breached as this" });
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update tickets set first_response_due = now() - interval '1 minute' where id = ${t.id}`),
    );
    await setSlaCheck(t.id, sql`now() - interval '1 second'`);
    await unsafeScanSlas();
    // Edited after the scan, before the notify job runs.
    expect(
      (await api.patchTicket(w.agent, t.id, { subject: "Renamed after the breach", priority: "high" })).status,
    ).toBe(200);
    await runNotifyJobs(t.id);
    const deliveries = await deliveriesOf(t.id);
    expect(deliveries.map((d) => d.event)).toContain("sla.breach");
    // In event order: ticket.created first.
    for (const d of deliveries) expect(await handleWebhook({ orgId: w.org.id, deliveryId: d.id })).toBe("delivered");
    const hit = hitsFor(t.id).find((h) => h.json.event === "sla.breach")!;
    expect(hit.json).toMatchObject({
      event: "sla.breach",
      metric: "first_response",
      ticket: { id: t.id, subject: "Breached as this", priority: "normal" },
    });
    expect(hit.json.eventId).toMatch(/^[0-9a-f-]{36}$/);
    // Valid against the payload schema the document publishes.
    expect(WEBHOOK_PAYLOADS["sla.breach"]!.schema.safeParse(hit.json).error).toBeUndefined();
  });

  it("create then immediately edit: the ticket.created delivery carries the created state, with eventId, occurredAt and the actor", async () => {
    const t = await newTicket(w.customer, { subject: "As created" });
    // The edit commits before the notify job runs (the race that once sent the edited subject).
    expect(
      (await api.patchTicket(w.agent, t.id, { subject: "Edited later", status: "pending", priority: "high" })).status,
    ).toBe(200);
    await runNotifyJobs(t.id);
    const [created] = await deliveriesOf(t.id);
    expect(created!.event).toBe("ticket.created");
    expect(await handleWebhook({ orgId: w.org.id, deliveryId: created!.id })).toBe("delivered");

    const [hit] = hitsFor(t.id);
    expect(hit!.json).toMatchObject({
      id: created!.id,
      event: "ticket.created",
      actor: { type: "user", id: w.customer.id },
      ticket: {
        id: t.id,
        number: t.number,
        subject: "As created",
        status: "new",
        priority: "normal",
        assigneeId: null,
        requesterId: w.customer.id,
        tags: [],
      },
    });
    expect(hit!.json.eventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Date(hit!.json.occurredAt).getTime()).toBeLessThanOrEqual(Date.now());
    expect(hit!.json.changes).toBeUndefined();
    // Signed as before: HMAC-SHA256 over "<timestamp>.<body>".
    const ts = hit!.headers["x-beacon-timestamp"] as string;
    expect(hit!.headers["x-beacon-signature"]).toBe(
      `sha256=${createHmac("sha256", SECRET).update(`${ts}.${hit!.body}`).digest("hex")}`,
    );
    expect(hit!.headers["x-beacon-delivery"]).toBe(created!.id);
  });

  it("an assignment carries changes {field: [from, to]} of its update and the ticket as it was then", async () => {
    const t = await newTicket(w.customer, { subject: "To assign" });
    expect((await api.patchTicket(w.agent, t.id, { assigneeId: w.agent2.id, priority: "urgent" })).status).toBe(200);
    expect((await api.patchTicket(w.agent, t.id, { subject: "Renamed after" })).status).toBe(200);
    await runNotifyJobs(t.id);
    const assigned = (await deliveriesOf(t.id)).find((d) => d.event === "ticket.assigned")!;
    for (const d of await deliveriesOf(t.id)) await handleWebhook({ orgId: w.org.id, deliveryId: d.id });
    const hit = hitsFor(t.id).find((h) => h.json.id === assigned.id)!;
    expect(hit.json.changes).toEqual({ assigneeId: [null, w.agent2.id], priority: ["normal", "urgent"] });
    expect(hit.json.ticket).toMatchObject({ subject: "To assign", assigneeId: w.agent2.id, priority: "urgent" });
    expect(hit.json.actor).toEqual({ type: "user", id: w.agent.id });
  });

  it("a retried notify job makes no second delivery, and a retried delivery repeats the same eventId", async () => {
    const t = await newTicket(w.customer, { subject: "Once" });
    await runNotifyJobs(t.id);
    await runNotifyJobs(t.id);
    const ds = await deliveriesOf(t.id);
    expect(ds).toHaveLength(1);
    const payload = async () =>
      (
        await unsafeWithSystem((tx) =>
          tx.execute<{ payload: { eventId: string } }>(
            sql`select payload from webhook_deliveries where id = ${ds[0]!.id}`,
          ),
        )
      ).rows[0]!.payload;
    const first = (await payload()).eventId;
    await runNotifyJobs(t.id);
    expect((await payload()).eventId).toBe(first);
  });
});

describe("one ticket's deliveries go out in event order", () => {
  it("a later event's delivery waits (the job retries) until the earlier one is sent; then both arrive in order", async () => {
    const t = await newTicket(w.customer, { subject: "Ordered" });
    expect((await api.addComment(w.agent, t.id, { body: "first reply" })).status).toBe(201);
    await runNotifyJobs(t.id);
    const [created, replied] = await deliveriesOf(t.id);
    expect([created!.event, replied!.event]).toEqual(["ticket.created", "ticket.replied"]);

    await expect(handleWebhook({ orgId: w.org.id, deliveryId: replied!.id })).rejects.toThrow(
      /waiting for the earlier delivery/,
    );
    expect(hitsFor(t.id)).toHaveLength(0);
    const attempts = await unsafeWithSystem((tx) =>
      tx.execute<{ attempts: number }>(sql`select attempts from webhook_deliveries where id = ${replied!.id}`),
    );
    expect(attempts.rows[0]!.attempts).toBe(0);

    expect(await handleWebhook({ orgId: w.org.id, deliveryId: created!.id })).toBe("delivered");
    expect(await handleWebhook({ orgId: w.org.id, deliveryId: replied!.id })).toBe("delivered");
    expect(hitsFor(t.id).map((h) => h.json.event)).toEqual(["ticket.created", "ticket.replied"]);
    const [a, b] = hitsFor(t.id).map((h) => new Date(h.json.occurredAt).getTime());
    expect(a).toBeLessThanOrEqual(b!);
  });

  it("a dead earlier delivery no longer holds the later ones back", async () => {
    const t = await newTicket(w.customer, { subject: "Dead first" });
    expect((await api.addComment(w.agent, t.id, { body: "reply" })).status).toBe(201);
    await runNotifyJobs(t.id);
    const [created, replied] = await deliveriesOf(t.id);
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update webhook_deliveries set status = 'dead' where id = ${created!.id}`),
    );
    expect(await handleWebhook({ orgId: w.org.id, deliveryId: replied!.id })).toBe("delivered");
  });
});

describe("the documented payload schemas (OpenAPI webhooks)", () => {
  it("every delivery received in this file (the tests above) matches its event's schema exactly", () => {
    const hits = receiver.hits.map((h) => JSON.parse(h.body) as { event: string });
    expect(new Set(hits.map((h) => h.event))).toEqual(
      new Set(["ticket.created", "ticket.assigned", "ticket.replied", "sla.breach"]),
    );
    for (const hit of hits) {
      const r = WEBHOOK_PAYLOADS[hit.event]!.schema.safeParse(hit);
      expect(r.success, `${hit.event}: ${JSON.stringify(r.error?.issues)}`).toBe(true);
    }
  });
});
