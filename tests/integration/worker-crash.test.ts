import { spawn } from "node:child_process";
import path from "node:path";
import { sql } from "drizzle-orm";
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { BOSS_SCHEMA } from "../../src/server/jobs/boss";
import { QUEUES } from "../../src/server/jobs/queues";
import { startWorker, type RunningWorker } from "../../src/server/worker/worker";
import { handleNotify } from "../../src/server/notifications/notify";
import { newTicket } from "../helpers/api";
import { waitFor } from "../helpers/jobs";
import { startSmtp } from "../helpers/receivers";
import { createWorld, type World } from "../helpers/world";

// A worker process is killed (SIGKILL) in the middle of sending an email: the SMTP server has the
// message but has not answered 250 yet. Another worker picks the job up once it expires, and the
// email is delivered exactly once.
let w: World;
let survivor: RunningWorker | undefined;
beforeAll(async () => {
  w = await createWorld();
});
afterAll(async () => {
  await survivor?.stop();
  setProcessEnv({ SMTP_URL: "" });
});

describe("a worker killed mid-job", () => {
  it("has its job retried by another worker, and the notification email is delivered once", async () => {
    const subject = `Crash test ${Date.now()}`;
    // The breach email of this ticket (the ticket's creation also mails the agents).
    const isTarget = (raw: string) => raw.includes(subject) && raw.includes("SLA breached");
    let firstSeen = false;
    let sawData!: () => void;
    const dataArrived = new Promise<void>((r) => (sawData = r));
    const smtp = await startSmtp({
      // Hold the first delivery of this ticket's email long enough to kill the worker mid-send.
      holdIf: (raw) => (isTarget(raw) && !firstSeen ? ((firstSeen = true), 30_000) : 0),
      onData: (raw) => isTarget(raw) && sawData(),
    });
    const root = path.resolve(import.meta.dirname, "../..");
    // One process (scripts/run.mjs imports the worker in itself, no CLI wrapper), so SIGKILL really kills the worker.
    const child = spawn(process.execPath, ["scripts/run.mjs", "worker"], {
      cwd: root,
      env: { ...process.env, SMTP_URL: smtp.url, LOG_LEVEL: "silent" },
      stdio: ["ignore", "pipe", "inherit"],
    });
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout!.on("data", (d: Buffer) => d.toString().includes("worker running") && resolve());
        child.once("exit", (code) => reject(new Error(`worker exited early (${code})`)));
      });
      // Jobs of a dead worker come back after expireInSeconds; keep that short for this test.
      const boss = new PgBoss({
        connectionString: process.env.DATABASE_URL!,
        schema: BOSS_SCHEMA,
        supervise: false,
        schedule: false,
        max: 1,
      });
      await boss.start();
      await boss.updateQueue(QUEUES.email.name, {
        name: QUEUES.email.name,
        expireInSeconds: 3,
        retryLimit: 3,
        retryDelay: 1,
        retryBackoff: false,
      });
      await boss.stop({ graceful: false });

      const t = await newTicket(w.customer, { subject });
      await unsafeWithSystem((tx) =>
        tx.execute(sql`update tickets set assignee_id = ${w.agent.id} where id = ${t.id}`),
      );
      await handleNotify({
        orgId: w.org.id,
        kind: "sla.breach",
        ticketId: t.id,
        metric: "first_response",
        dueAt: new Date().toISOString(),
      });

      await dataArrived;
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));

      setProcessEnv({ SMTP_URL: smtp.url });
      survivor = await startWorker({
        url: process.env.DATABASE_URL!,
        pollingIntervalSeconds: 0.5,
        schedule: false,
        maintenanceIntervalSeconds: 1,
      });
      await waitFor(
        "the email delivered by the surviving worker",
        async () => smtp.mails.some((m) => isTarget(m.raw)),
        45_000,
      );
      await new Promise((r) => setTimeout(r, 2_000));
      expect(smtp.mails.filter((m) => isTarget(m.raw))).toHaveLength(1);
      const n = await unsafeWithSystem((tx) =>
        tx.execute<{ emailed: boolean; count: number }>(
          sql`select emailed_at is not null as emailed, count(*) over ()::int as count from notifications where ticket_id = ${t.id} and kind = 'sla.breach'`,
        ),
      );
      expect(n.rows).toEqual([{ emailed: true, count: 1 }]);
    } finally {
      if (child.exitCode === null) child.kill("SIGKILL");
      await smtp.close();
    }
  }, 90_000);
});
