import { randomUUID } from "node:crypto";
import PgBoss from "pg-boss";
import { afterAll, describe, expect, it } from "vitest";
import { BOSS_SCHEMA } from "../../src/server/jobs/boss";
import { QUEUES } from "../../src/server/jobs/queues";
import { startWorker, type RunningWorker } from "../../src/server/worker/worker";
import { createOrg } from "../helpers/factories";
import { jobsIn, waitFor } from "../helpers/jobs";

// pg-boss sleeps a whole polling interval after each job, so a worker used to handle one job per
// second per queue whatever the backlog: the cluster test (npm run test:cluster) saw 500+
// notification jobs pile up behind 12 users. A backlog must be worked through back to back.
let worker: RunningWorker | undefined;
afterAll(async () => {
  await worker?.stop();
});

describe("a worker facing a backlog", () => {
  it("handles waiting jobs one after another, not one per polling interval", async () => {
    const org = await createOrg();
    const tag = randomUUID();
    const boss = new PgBoss({
      connectionString: process.env.DATABASE_URL!,
      schema: BOSS_SCHEMA,
      supervise: false,
      schedule: false,
      max: 1,
    });
    await boss.start();
    // Notifications about tickets that do not exist: each job is a quick no-op for the handler.
    await boss.insert(
      Array.from({ length: 30 }, () => ({
        name: QUEUES.notify.name,
        data: { orgId: org.id, kind: "ticket.created", ticketId: randomUUID(), actorId: tag },
      })),
    );
    await boss.stop({ graceful: false });

    const started = Date.now();
    worker = await startWorker({ url: process.env.DATABASE_URL!, schedule: false, pollingIntervalSeconds: 1 });
    await waitFor(
      "30 notify jobs completed",
      async () => (await jobsIn(QUEUES.notify.name, { actorId: tag })).every((j) => j.state === "completed"),
      40_000,
    );
    // One per second would take 30 s.
    expect(Date.now() - started).toBeLessThan(10_000);
  }, 60_000);
});
