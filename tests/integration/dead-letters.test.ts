import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript, type ScriptRun } from "../helpers/run-script";
import { db, pool } from "../../src/server/db/client";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { webhooks } from "../../src/server/db/schema/notifications";
import { BOSS_SCHEMA } from "../../src/server/jobs/boss";
import { listDeadLetters, replayDeadLetters } from "../../src/server/jobs/dead-letters";
import { QUEUES } from "../../src/server/jobs/queues";
import { queueStates } from "../../src/server/jobs/stats";
import { startWorker, type RunningWorker } from "../../src/server/worker/worker";
import { handleNotify } from "../../src/server/notifications/notify";
import { scrapeMetrics } from "../../src/server/health/scrape";
import { GET as listRoute, DELETE as dropRoute, POST as replayRoute } from "../helpers/http";
import { newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { jobsIn, waitFor } from "../helpers/jobs";
import { startReceiver, startSmtp } from "../helpers/receivers";
import { createWorld, type World } from "../helpers/world";

// SMTP down → email jobs fail every retry → dead letters that stay → SMTP up → replay → each
// notification delivered exactly once; replaying again sends nothing more.

const DOWN = "smtp://127.0.0.1:9";

let a: World;
let b: World;
let worker: RunningWorker;
let boss: PgBoss;

beforeAll(async () => {
  [a, b] = await Promise.all([createWorld(), createWorld()]);
  // A short retry policy (the queue's own configuration), so jobs die in seconds.
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
    retryLimit: 2,
    retryDelay: 1,
    retryBackoff: false,
  });
  await boss.updateQueue(QUEUES.webhook.name, {
    name: QUEUES.webhook.name,
    retryLimit: 1,
    retryDelay: 1,
    retryBackoff: false,
  });
  worker = await startWorker({ url: process.env.DATABASE_URL!, pollingIntervalSeconds: 0.5, schedule: false });
}, 60_000);
afterAll(async () => {
  setProcessEnv({ SMTP_URL: "", OUTBOUND_ALLOW_PRIVATE: "" });
  await worker?.stop();
  await boss?.stop({ graceful: false });
});

/** A breach notification for the org's agent, fanned out by the real notify handler (email job enqueued). */
async function breach(w: World, subject: string): Promise<string> {
  const t = await newTicket(w.customer, { subject });
  await unsafeWithSystem((tx) => tx.execute(sql`update tickets set assignee_id = ${w.agent.id} where id = ${t.id}`));
  await handleNotify({
    orgId: w.org.id,
    kind: "sla.breach",
    ticketId: t.id,
    metric: "resolution",
    dueAt: new Date().toISOString(),
  });
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string }>(sql`select id from notifications where ticket_id = ${t.id} and kind = 'sla.breach'`),
  );
  return r.rows[0]!.id;
}

// Opening a ticket also emails staff (ticket.created): look only at the breach emails under test.
const deadEmails = async (w: World, ids?: string[]) =>
  (await listDeadLetters({ orgId: w.org.id, queues: ["email"] })).filter(
    (d) => !ids || ids.includes(d.data.notificationId as string),
  );

function jobsCli(args: string[]): Promise<ScriptRun> {
  return runScript("jobs.ts", args, { env: { LOG_LEVEL: "info" }, drop: ["BEACON_EMBEDDED_DB", "npm_execpath"] });
}

describe("dead letters: SMTP down, then replay", () => {
  it("keeps dead letters until a person acts, and a replay delivers each notification exactly once", async () => {
    setProcessEnv({ SMTP_URL: DOWN });
    const ids = [await breach(a, "Dead one"), await breach(a, "Dead two")];
    await waitFor("both emails dead-lettered", async () => (await deadEmails(a, ids)).length === 2, 60_000);

    // The notification says so; the dead letter is not consumed: it waits, kept for years.
    for (const id of ids) {
      await waitFor("notification marked", async () => {
        const r = await unsafeWithSystem((tx) =>
          tx.execute<{ email_error: string | null }>(sql`select email_error from notifications where id = ${id}`),
        );
        return r.rows[0]!.email_error?.startsWith("dead letter");
      });
    }
    await new Promise((r) => setTimeout(r, 1500));
    const dead = await deadEmails(a, ids);
    expect(dead.map((d) => d.state)).toEqual(["created", "created"]);
    expect(dead.map((d) => d.data.notificationId).sort()).toEqual([...ids].sort());
    expect(dead[0]!.error).toMatch(/ECONNREFUSED|connect/i);
    const kept = await db().execute<{ years: number }>(
      sql`select min(extract(epoch from keep_until - now()) / 31536000)::float as years from pgboss.job where name = 'email-dead' and data->>'orgId' = ${a.org.id}`,
    );
    expect(kept.rows[0]!.years).toBeGreaterThan(5);
    const metrics = (await scrapeMetrics()).body;
    expect(Number(/jobs_dead_letters\{queue="email"\} (\d+)/.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    // Waiting on purpose is no queue lag (health would call workers late otherwise).
    const deadState = (await queueStates(pool())).find((q) => q.queue === "email-dead")!;
    expect(deadState.waiting).toBeGreaterThanOrEqual(2);
    expect(deadState.lagSeconds).toBe(0);

    // Dry run: says what it would do, changes nothing.
    const dry = await jobsCli(["replay", "--org", a.org.slug, "--queue", "email", "--dry-run", "--json"]);
    expect(dry.code, dry.stderr).toBe(0);
    const planned = JSON.parse(dry.stdout) as { outcome: string; data: { notificationId: string } }[];
    expect(planned.filter((r) => ids.includes(r.data.notificationId)).map((r) => r.outcome)).toEqual([
      "would_replay",
      "would_replay",
    ]);
    expect(new Set(planned.map((r) => r.outcome))).toEqual(new Set(["would_replay"]));
    expect(await deadEmails(a, ids)).toHaveLength(2);

    const smtp = await startSmtp();
    setProcessEnv({ SMTP_URL: smtp.url });
    try {
      const run = await jobsCli(["replay", "--org", a.org.slug, "--queue", "email"]);
      expect(run.code, run.stderr).toBe(0);
      // The org's other email (ticket.created to staff) may die between the dry run and this one.
      const replayed = Number(/(\d+) dead letter\(s\) replayed/.exec(run.stdout)?.[1]);
      expect(replayed).toBeGreaterThanOrEqual(planned.length);
      expect(run.stdout).toMatch(/^ID\s+QUEUE\s+ORG\s+AGE\s+OUTCOME\s+ERROR/m);
      expect(run.stderr).toContain("dead letter replayed");
      await waitFor(
        "both delivered",
        async () => ids.every((id) => smtp.mails.some((m) => m.raw.includes(id))),
        30_000,
      );
      expect(await deadEmails(a)).toHaveLength(0);
      await new Promise((r) => setTimeout(r, 1000));
      const sentBefore = smtp.mails.length;

      // Again: nothing left to replay (exit 3), and nothing more is sent.
      const again = await jobsCli(["replay", "--org", a.org.slug, "--queue", "email"]);
      expect(again.code).toBe(3);
      expect(again.stdout).toContain("No dead letters matched");
      // Even the same payload sent again by hand is not delivered twice.
      for (const id of ids) await boss.send(QUEUES.email.name, { orgId: a.org.id, notificationId: id });
      await waitFor(
        "hand-sent jobs done",
        async () => {
          const rows = await Promise.all(ids.map((id) => jobsIn(QUEUES.email.name, { notificationId: id })));
          return rows.flat().every((j) => j.state === "completed" || j.state === "failed");
        },
        20_000,
      );
      for (const id of ids) expect(smtp.mails.filter((m) => m.raw.includes(id))).toHaveLength(1);
      expect(smtp.mails.length).toBe(sentBefore);
      const emailed = await unsafeWithSystem((tx) =>
        tx.execute<{ n: number }>(
          sql`select count(*)::int as n from notifications where id in (${sql.join(
            ids.map((i) => sql`${i}`),
            sql`, `,
          )}) and emailed_at is not null and email_error is null`,
        ),
      );
      expect(emailed.rows[0]!.n).toBe(2);

      // Audited in the org's chain, as the operator.
      const audit = await unsafeWithSystem((tx) =>
        tx.execute<{ actor_id: string | null; data: Record<string, unknown> }>(
          sql`select actor_id, data from audit_events where org_id = ${a.org.id} and action = 'job.replayed'`,
        ),
      );
      expect(audit.rows).toHaveLength(replayed);
      expect(audit.rows.every((r) => r.actor_id === null && r.data.by === "operator" && r.data.queue === "email")).toBe(
        true,
      );
    } finally {
      await smtp.close();
    }
  }, 120_000);

  it("a replay that fails again is dead-lettered again, with the queue's own retry policy", async () => {
    setProcessEnv({ SMTP_URL: DOWN });
    const id = await breach(a, "Dies twice");
    const [first] = await waitFor(
      "dead-lettered",
      async () => {
        const r = await deadEmails(a, [id]);
        return r.length === 1 && r;
      },
      60_000,
    );
    const [replayed] = await replayDeadLetters({ id: first!.id }, { kind: "operator" });
    expect(replayed).toMatchObject({ outcome: "replayed", queue: "email" });
    const [job] = (await jobsIn(QUEUES.email.name, { notificationId: id })).filter((j) => j.id === replayed!.jobId);
    expect(job).toBeTruthy();
    const policy = await db().execute<{ retry_limit: number; dead_letter: string }>(
      sql`select retry_limit, dead_letter from pgboss.job where id = ${replayed!.jobId}::uuid`,
    );
    expect(policy.rows[0]).toEqual({ retry_limit: 2, dead_letter: "email-dead" });
    const [again] = await waitFor(
      "dead again",
      async () => {
        const r = await deadEmails(a, [id]);
        return r.length === 1 && r;
      },
      60_000,
    );
    expect(again!.id).not.toBe(first!.id);
    // Replaying the same dead letter twice at once: one replay, one job.
    const both = await Promise.all([
      replayDeadLetters({ id: again!.id }, { kind: "operator" }),
      replayDeadLetters({ id: again!.id }, { kind: "operator" }),
    ]);
    expect(both.flat().filter((r) => r.outcome === "replayed")).toHaveLength(1);
  }, 120_000);
});

describe("the admin API", () => {
  it("lists, replays and drops the org's own dead letters; another org's are 404; agents get 403", async () => {
    // The receiver fails twice (the webhook queue's one retry here), then accepts.
    const receiver = await startReceiver([500, 500, 204]);
    setProcessEnv({ SMTP_URL: DOWN, OUTBOUND_ALLOW_PRIVATE: "127.0.0.1/32" });
    try {
      await unsafeWithSystem((tx) =>
        tx
          .insert(webhooks)
          .values({ orgId: b.org.id, url: receiver.url, secret: "s3cret-s3cret", events: ["sla.breach"] }),
      );
      await breach(b, "Webhook dies");
      const hook = await waitFor(
        "webhook dead letter",
        async () => (await listDeadLetters({ orgId: b.org.id, queues: ["webhook"] }))[0],
        60_000,
      );
      const email = await waitFor(
        "email dead letter",
        async () => (await listDeadLetters({ orgId: b.org.id, queues: ["email"] }))[0],
        60_000,
      );
      const id = hook.id;
      await waitFor("delivery marked dead", async () => {
        const r = await unsafeWithSystem((tx) =>
          tx.execute<{ status: string }>(sql`select status::text from webhook_deliveries where org_id = ${b.org.id}`),
        );
        return r.rows[0]?.status === "dead";
      });
      expect(receiver.hits).toHaveLength(2);

      const list = await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: b.admin.cookie });
      expect(list.status).toBe(200);
      const rows = list.body.data as {
        id: string;
        queue: string;
        deliveryId: string | null;
        notificationId: string | null;
        error: string | null;
      }[];
      expect(rows.find((d) => d.id === id)).toMatchObject({
        queue: "webhook",
        deliveryId: hook.data.deliveryId,
        error: "HTTP 500",
      });
      expect(rows.find((d) => d.id === email.id)).toMatchObject({
        queue: "email",
        notificationId: email.data.notificationId,
      });
      const onlyHooks = await call(listRoute, "GET", "/api/v1/jobs/dead", {
        cookie: b.admin.cookie,
        query: { queue: "webhook" },
      });
      expect((onlyHooks.body.data as { queue: string }[]).map((d) => d.queue)).toEqual(["webhook"]);
      // No cursor: the list says whether more wait behind the page (docs/decisions/044).
      expect(list.body.hasMore).toBe(false);
      const one = await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: b.admin.cookie, query: { limit: "1" } });
      expect(one.body).toMatchObject({ data: [expect.anything()], hasMore: true });
      expect(
        (await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: b.admin.cookie, query: { limit: "2" } })).body
          .hasMore,
      ).toBe(false);

      // Role: agents and customers can neither see nor act.
      expect((await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: b.agent.cookie })).status).toBe(403);
      expect(
        (await call(replayRoute, "POST", `/api/v1/jobs/dead/${id}/replay`, { cookie: b.agent.cookie, params: { id } }))
          .status,
      ).toBe(403);
      expect(
        (await call(dropRoute, "DELETE", `/api/v1/jobs/dead/${id}`, { cookie: b.customer.cookie, params: { id } }))
          .status,
      ).toBe(403);

      // Cross-tenant: org A's admin neither sees nor touches B's dead letters.
      const other = await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: a.admin.cookie });
      expect(other.status).toBe(200);
      expect((other.body.data as { id: string }[]).some((d) => d.id === id || d.id === email.id)).toBe(false);
      expect(
        (await call(replayRoute, "POST", `/api/v1/jobs/dead/${id}/replay`, { cookie: a.admin.cookie, params: { id } }))
          .status,
      ).toBe(404);
      expect(
        (
          await call(dropRoute, "DELETE", `/api/v1/jobs/dead/${email.id}`, {
            cookie: a.admin.cookie,
            params: { id: email.id },
          })
        ).status,
      ).toBe(404);
      expect(await listDeadLetters({ id })).toHaveLength(1);
      expect(await listDeadLetters({ id: email.id })).toHaveLength(1);

      // Bad input: 400, nothing changes.
      expect(
        (await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: b.admin.cookie, query: { queue: "sla-scan" } }))
          .status,
      ).toBe(400);
      expect(
        (
          await call(replayRoute, "POST", "/api/v1/jobs/dead/nope/replay", {
            cookie: b.admin.cookie,
            params: { id: "nope" },
          })
        ).status,
      ).toBe(400);
      expect(await listDeadLetters({ id })).toHaveLength(1);

      // Replay: the delivery is sent once more and succeeds; audited with the admin as actor.
      const r = await call(replayRoute, "POST", `/api/v1/jobs/dead/${id}/replay`, {
        cookie: b.admin.cookie,
        params: { id },
      });
      expect(r.status).toBe(200);
      expect(r.body).toMatchObject({ id, queue: "webhook", jobId: expect.any(String) });
      expect(
        (await call(replayRoute, "POST", `/api/v1/jobs/dead/${id}/replay`, { cookie: b.admin.cookie, params: { id } }))
          .status,
      ).toBe(404);
      await waitFor(
        "delivered",
        async () => {
          const d = await unsafeWithSystem((tx) =>
            tx.execute<{ status: string }>(sql`select status::text from webhook_deliveries where org_id = ${b.org.id}`),
          );
          return d.rows[0]?.status === "succeeded";
        },
        30_000,
      );
      await new Promise((res) => setTimeout(res, 1000));
      expect(receiver.hits).toHaveLength(3);
      const audit = await unsafeWithSystem((tx) =>
        tx.execute<{ actor_id: string | null; entity_id: string }>(
          sql`select actor_id, entity_id from audit_events where org_id = ${b.org.id} and action = 'job.replayed'`,
        ),
      );
      expect(audit.rows).toEqual([{ actor_id: b.admin.id, entity_id: id }]);

      // Drop: gone for good, nothing sent, audited.
      const d = await call(dropRoute, "DELETE", `/api/v1/jobs/dead/${email.id}`, {
        cookie: b.admin.cookie,
        params: { id: email.id },
      });
      expect(d.status).toBe(204);
      expect(await listDeadLetters({ id: email.id })).toHaveLength(0);
      const dropped = await unsafeWithSystem((tx) =>
        tx.execute<{ n: number }>(
          sql`select count(*)::int as n from audit_events where org_id = ${b.org.id} and action = 'job.dropped' and entity_id = ${email.id}`,
        ),
      );
      expect(dropped.rows[0]!.n).toBe(1);
    } finally {
      await unsafeWithSystem((tx) => tx.execute(sql`delete from webhooks where org_id = ${b.org.id}`)).catch(
        () => undefined,
      );
      await receiver.close();
    }
  }, 120_000);
});

describe("inbound mail and reply emails on the admin's page", () => {
  it("lists the org's own dead incoming emails and reply emails with what they refer to; another org's admin sees and drops neither", async () => {
    const inboundId = randomUUID();
    const commentId = randomUUID();
    const inbound = (await boss.send(QUEUES.inboundEmailDead.name, { orgId: a.org.id, inboundId }))!;
    const reply = (await boss.send(QUEUES.replyEmailDead.name, {
      orgId: a.org.id,
      ticketId: randomUUID(),
      commentId,
    }))!;

    const mine = await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: a.admin.cookie });
    expect(mine.status).toBe(200);
    const rows = mine.body.data as { id: string; queue: string; inboundId: string | null; commentId: string | null }[];
    expect(rows.find((d) => d.id === inbound)).toMatchObject({ queue: "email-inbound", inboundId, commentId: null });
    expect(rows.find((d) => d.id === reply)).toMatchObject({ queue: "email-reply", commentId, inboundId: null });
    const onlyInbound = await call(listRoute, "GET", "/api/v1/jobs/dead", {
      cookie: a.admin.cookie,
      query: { queue: "email-inbound" },
    });
    expect((onlyInbound.body.data as { id: string }[]).map((d) => d.id)).toEqual([inbound]);

    const theirs = await call(listRoute, "GET", "/api/v1/jobs/dead", { cookie: b.admin.cookie });
    expect((theirs.body.data as { id: string }[]).some((d) => d.id === inbound || d.id === reply)).toBe(false);
    expect(
      (
        await call(dropRoute, "DELETE", `/api/v1/jobs/dead/${inbound}`, {
          cookie: b.admin.cookie,
          params: { id: inbound },
        })
      ).status,
    ).toBe(404);
    expect(await listDeadLetters({ id: inbound })).toHaveLength(1);

    for (const id of [inbound, reply]) {
      expect(
        (await call(dropRoute, "DELETE", `/api/v1/jobs/dead/${id}`, { cookie: a.admin.cookie, params: { id } })).status,
      ).toBe(204);
      expect(await listDeadLetters({ id })).toHaveLength(0);
    }
  });
});

describe("npm run jobs", () => {
  it("answers usage errors with exit 2 and an unknown id with exit 3", async () => {
    const bad = await jobsCli(["replay"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("needs a filter");
    expect((await jobsCli(["list", "--older-than", "soon"])).code).toBe(2);
    expect((await jobsCli(["list", "--queue", "sla-scan"])).code).toBe(2);
    expect((await jobsCli(["frobnicate"])).code).toBe(2);
    const none = await jobsCli(["show", "--id", "00000000-0000-4000-8000-000000000000"]);
    expect(none.code).toBe(3);
    const list = await jobsCli(["list", "--org", a.org.slug, "--older-than", "1d"]);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toContain("No dead letters.");
  }, 60_000);

  it("reports a dead letter it cannot replay (exit 1) and leaves it dead; one without an org is skipped", async () => {
    // Hand-made dead letters: an org that no longer exists, and a payload with no orgId.
    const orphan = (await boss.send(QUEUES.emailDead.name, { orgId: randomUUID(), notificationId: randomUUID() }))!;
    const noOrg = (await boss.send(QUEUES.emailDead.name, { notificationId: randomUUID() }))!;
    const run = await jobsCli(["replay", "--id", orphan, "--json"]);
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject([{ id: orphan, outcome: "failed", reason: expect.any(String) }]);
    expect(await listDeadLetters({ id: orphan })).toHaveLength(1);
    const skipped = await jobsCli(["drop", "--id", noOrg]);
    expect(skipped.code).toBe(1);
    expect(skipped.stdout).toContain("payload has no orgId");
    expect(await listDeadLetters({ id: noOrg })).toHaveLength(1);
    const shown = await jobsCli(["show", "--id", orphan]);
    expect(shown.code, shown.stderr).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: orphan,
      queue: "email",
      deadQueue: "email-dead",
      state: "created",
    });
  }, 60_000);
});
