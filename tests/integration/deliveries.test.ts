import { createHmac } from "node:crypto";
import { sql } from "drizzle-orm";
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { webhooks } from "../../src/server/db/schema/notifications";
import { BOSS_SCHEMA } from "../../src/server/jobs/boss";
import { QUEUES } from "../../src/server/jobs/queues";
import { startWorker, type RunningWorker } from "../../src/server/worker/worker";
import { jobCounts } from "../../src/server/jobs/stats";
import { handleEmail } from "../../src/server/notifications/email";
import { handleNotify } from "../../src/server/notifications/notify";
import { handleWebhook } from "../../src/server/notifications/webhook-delivery";
import { newTicket } from "../helpers/api";
import { jobsIn, waitFor } from "../helpers/jobs";
import { startReceiver, startSmtp } from "../helpers/receivers";
import { createWorld, type World } from "../helpers/world";

let w: World;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(() => setProcessEnv({ SMTP_URL: "" }));

async function breachNotification(w: World, subject = "Printer on fire") {
  const t = await newTicket(w.customer, { subject });
  await unsafeWithSystem((tx) => tx.execute(sql`update tickets set assignee_id = ${w.agent.id} where id = ${t.id}`));
  await handleNotify({
    orgId: w.org.id,
    kind: "sla.breach",
    ticketId: t.id,
    metric: "resolution",
    dueAt: new Date().toISOString(),
  });
  const [n] = (
    await unsafeWithSystem((tx) =>
      tx.execute<{ id: string }>(sql`select id from notifications where ticket_id = ${t.id} and kind = 'sla.breach'`),
    )
  ).rows;
  return { ticket: t, notificationId: n!.id };
}

describe("email through a real SMTP server", () => {
  it("delivers a breach email to the assignee once, however often the job runs", async () => {
    const smtp = await startSmtp();
    setProcessEnv({ SMTP_URL: smtp.url });
    try {
      const { ticket, notificationId } = await breachNotification(w);
      expect(await handleEmail({ orgId: w.org.id, notificationId })).toBe("sent");
      expect(await handleEmail({ orgId: w.org.id, notificationId })).toBe("skipped");
      expect(smtp.mails).toHaveLength(1);
      expect(smtp.mails[0]!.to).toEqual([w.agent.email]);
      expect(smtp.mails[0]!.raw).toMatch(/Subject: \[Org [^\]]+\] SLA breached: #\d+ Printer on fire/);
      expect(smtp.mails[0]!.raw.replace(/=\r?\n/g, "")).toContain(`/tickets/${ticket.id}`);
      expect(smtp.mails[0]!.raw).toContain(`Message-ID: <${notificationId}@beacon.notifications>`);
    } finally {
      await smtp.close();
    }
  });

  it("a refused or unreachable server records the attempt and throws (so the job retries)", async () => {
    const smtp = await startSmtp({ rejectFirst: 1 });
    setProcessEnv({ SMTP_URL: smtp.url });
    try {
      const { notificationId } = await breachNotification(w);
      await expect(handleEmail({ orgId: w.org.id, notificationId })).rejects.toThrow();
      expect(await handleEmail({ orgId: w.org.id, notificationId })).toBe("sent");
      const row = await unsafeWithSystem((tx) =>
        tx.execute<{ email_attempts: number; emailed: boolean }>(
          sql`select email_attempts, emailed_at is not null as emailed from notifications where id = ${notificationId}`,
        ),
      );
      expect(row.rows[0]).toEqual({ email_attempts: 2, emailed: true });
    } finally {
      await smtp.close();
    }
    setProcessEnv({ SMTP_URL: "smtp://127.0.0.1:9" });
    const { notificationId } = await breachNotification(w);
    await expect(handleEmail({ orgId: w.org.id, notificationId })).rejects.toThrow();
  });
});

describe("webhooks to a real HTTP receiver", () => {
  it("signs each delivery over timestamp and body; 2xx is success and is not resent", async () => {
    const receiver = await startReceiver([204]);
    try {
      const secret = "whsec_test_0123456789";
      await unsafeWithSystem((tx) =>
        tx.insert(webhooks).values({ orgId: w.org.id, url: receiver.url, secret, events: ["sla.breach"] }),
      );
      const { ticket } = await breachNotification(w);
      const [d] = (
        await unsafeWithSystem((tx) =>
          tx.execute<{ id: string }>(
            sql`select id from webhook_deliveries where payload->'ticket'->>'id' = ${ticket.id}`,
          ),
        )
      ).rows;
      expect(await handleWebhook({ orgId: w.org.id, deliveryId: d!.id })).toBe("delivered");
      expect(await handleWebhook({ orgId: w.org.id, deliveryId: d!.id })).toBe("skipped");
      expect(receiver.hits).toHaveLength(1);
      const hit = receiver.hits[0]!;
      const ts = hit.headers["x-beacon-timestamp"] as string;
      const expected = `sha256=${createHmac("sha256", secret).update(`${ts}.${hit.body}`).digest("hex")}`;
      expect(hit.headers["x-beacon-signature"]).toBe(expected);
      expect(Math.abs(Number(ts) - Date.now() / 1000)).toBeLessThan(30);
      expect(hit.headers["x-beacon-event"]).toBe("sla.breach");
      expect(JSON.parse(hit.body)).toMatchObject({
        id: d!.id,
        event: "sla.breach",
        ticket: { id: ticket.id },
        metric: "resolution",
      });
    } finally {
      await unsafeWithSystem((tx) => tx.execute(sql`delete from webhooks where org_id = ${w.org.id}`));
      await receiver.close();
    }
  });
});

describe("the worker: retries with growing delays, then dead letter", () => {
  let worker: RunningWorker;
  let boss: PgBoss;
  beforeAll(async () => {
    // A short retry policy for this database, so the test sees several retries in seconds.
    boss = new PgBoss({
      connectionString: process.env.DATABASE_URL!,
      schema: BOSS_SCHEMA,
      supervise: false,
      schedule: false,
      max: 1,
    });
    await boss.start();
    await boss.updateQueue(QUEUES.email.name, {
      name: QUEUES.email.name,
      retryLimit: 3,
      retryDelay: 1,
      retryBackoff: true,
    });
    await boss.updateQueue(QUEUES.webhook.name, {
      name: QUEUES.webhook.name,
      retryLimit: 2,
      retryDelay: 1,
      retryBackoff: true,
    });
    worker = await startWorker({ url: process.env.DATABASE_URL!, pollingIntervalSeconds: 0.5, schedule: false });
  });
  afterAll(async () => {
    await worker?.stop();
    await boss?.stop({ graceful: false });
  });

  it("SMTP down: the email job retries with growing delays, then lands in the dead letter queue", async () => {
    setProcessEnv({ SMTP_URL: "smtp://127.0.0.1:9" });
    const before = { failed: 0, dead: 0, ...jobCounts()[QUEUES.email.name] };
    const { notificationId } = await breachNotification(w);
    await waitFor(
      "email job dead-lettered",
      async () => (await jobsIn(QUEUES.emailDead.name, { notificationId })).length > 0,
      60_000,
    );
    const [job] = await jobsIn(QUEUES.email.name, { notificationId });
    expect(job).toMatchObject({ state: "failed", retry_count: 3 });
    const n = await unsafeWithSystem((tx) =>
      tx.execute<{ email_attempts: number; email_error: string }>(
        sql`select email_attempts, email_error from notifications where id = ${notificationId}`,
      ),
    );
    expect(n.rows[0]!.email_attempts).toBe(4);
    await waitFor("dead letter handled", async () => {
      const r = await unsafeWithSystem((tx) =>
        tx.execute<{ email_error: string }>(sql`select email_error from notifications where id = ${notificationId}`),
      );
      return r.rows[0]!.email_error.startsWith("dead letter");
    });
    const after = jobCounts()[QUEUES.email.name]!;
    expect(after.failed - before.failed).toBeGreaterThanOrEqual(4);
    expect(after.dead - before.dead).toBeGreaterThanOrEqual(1);
  }, 90_000);

  it("SMTP back up: a queued email is delivered late, once", async () => {
    let refusals = 0;
    const subject = `Comes back ${Date.now()}`;
    // The server refuses this ticket's breach email twice (451), then accepts it.
    const smtp = await startSmtp({
      rejectIf: (raw) => raw.includes(subject) && raw.includes("SLA breached") && refusals++ < 2,
    });
    setProcessEnv({ SMTP_URL: smtp.url });
    try {
      const { notificationId } = await breachNotification(w, subject);
      await waitFor("email delivered", async () => smtp.mails.some((m) => m.raw.includes(notificationId)), 60_000);
      await new Promise((r) => setTimeout(r, 1500));
      expect(smtp.mails.filter((m) => m.raw.includes(notificationId))).toHaveLength(1);
      const n = await unsafeWithSystem((tx) =>
        tx.execute<{ email_attempts: number }>(
          sql`select email_attempts from notifications where id = ${notificationId}`,
        ),
      );
      expect(n.rows[0]!.email_attempts).toBe(3);
    } finally {
      await smtp.close();
    }
  }, 90_000);

  it("a failing webhook receiver gets retries at growing intervals, then the delivery is marked dead", async () => {
    const receiver = await startReceiver([500, 502, 503]);
    try {
      await unsafeWithSystem((tx) =>
        tx
          .insert(webhooks)
          .values({ orgId: w.org.id, url: receiver.url, secret: "s3cret-s3cret", events: ["sla.breach"] }),
      );
      const { ticket } = await breachNotification(w);
      const deliveryId = await waitFor(
        "delivery row",
        async () =>
          (
            await unsafeWithSystem((tx) =>
              tx.execute<{ id: string }>(
                sql`select id from webhook_deliveries where payload->'ticket'->>'id' = ${ticket.id}`,
              ),
            )
          ).rows[0]?.id,
      );
      await waitFor(
        "delivery dead",
        async () => {
          const r = await unsafeWithSystem((tx) =>
            tx.execute<{ status: string }>(sql`select status::text from webhook_deliveries where id = ${deliveryId}`),
          );
          return r.rows[0]!.status === "dead";
        },
        60_000,
      );
      expect(receiver.hits).toHaveLength(3);
      const gaps = receiver.hits.slice(1).map((h, i) => h.at - receiver.hits[i]!.at);
      expect(gaps[0]!).toBeGreaterThanOrEqual(900);
      expect(gaps[1]!).toBeGreaterThanOrEqual(gaps[0]! * 0.9);
      const d = await unsafeWithSystem((tx) =>
        tx.execute<{ attempts: number; last_status_code: number }>(
          sql`select attempts, last_status_code from webhook_deliveries where id = ${deliveryId}`,
        ),
      );
      expect(d.rows[0]).toEqual({ attempts: 3, last_status_code: 503 });
    } finally {
      await unsafeWithSystem((tx) => tx.execute(sql`delete from webhooks where org_id = ${w.org.id}`));
      await receiver.close();
    }
  }, 90_000);
});
