import "server-only";
import os from "node:os";
import { randomUUID } from "node:crypto";
import PgBoss from "pg-boss";
import type { ZodType } from "zod";
import { logger } from "../observability/logger";
import { beatHeartbeat, HEARTBEAT_INTERVAL_MS, removeHeartbeat } from "../jobs/heartbeat";
import { env } from "../env";
import { handleNotify } from "../notifications/notify";
import { handleEmail, markEmailDead } from "../notifications/email";
import { handleWebhook, markWebhookDead } from "../notifications/webhook-delivery";
import { unsafeScanSlas } from "../sla/scan";
import { unsafeScanAutomations } from "../automation/time-rules";
import { unsafeSweepOrphanUploads } from "../attachments/sweep-orphans";
import { unsafeSweepImportFiles } from "../import/sweep-import-files";
import { unsafeSweepIdempotencyKeys } from "../idempotency/sweep";
import { reapplyPolicy } from "../sla-policies/reapply-policy";
import { runBulkJob } from "../bulk/run-bulk-job";
import { markImportDead, runImportJob } from "../import/import-job";
import { BOSS_SCHEMA } from "../jobs/boss";
import {
  QUEUES,
  WORK_QUEUES,
  ZEmailJob,
  ZInboundEmailJob,
  ZNotifyJob,
  ZReapplyJob,
  ZReplyEmailJob,
  ZCustomerMailJob,
  ZWebhookJob,
  ZBulkJob,
  ZImportJob,
} from "../jobs/queues";
import { handleReplyEmail, markReplyEmailDead } from "../email/outbound-reply";
import { handleCustomerMail, markCustomerMailDead } from "../email/customer-mail";
import { applyInbound, markInboundDead } from "../intake/apply-inbound";
import { installRejectionGuard } from "../jobs/rejection-guard";
import { countJob } from "../jobs/stats";
import { startImapFetcher, type ImapFetcherOptions, type RunningImapFetcher } from "../email/imap-fetcher";

/** What a stop drained: jobs that finished after the stop began, and jobs cut at the grace (failed, so retried). */
export type WorkerStopReport = { jobs: number; cut: { queue: string; jobId: string }[] };
export type RunningWorker = {
  boss: PgBoss;
  /** Stops fetching, lets running jobs finish within graceMs (default SHUTDOWN_GRACE_MS), removes the heartbeat. */
  stop: (graceMs?: number) => Promise<WorkerStopReport>;
};

type Handler<T> = (data: T) => Promise<unknown>;

/**
 * The job worker (npm run worker, or beside the app in npm start). Several may run against one
 * database: pg-boss hands each job to one worker (SKIP LOCKED) and sends each cron tick once.
 */
export async function startWorker(opts: {
  url: string;
  pollingIntervalSeconds?: number;
  schedule?: boolean;
  /** Inbound messages applied at once; default INBOUND_APPLY_CONCURRENCY (4). */
  inboundConcurrency?: number;
  /** How often this worker expires jobs whose worker died (pg-boss maintenance); default 60 s. */
  maintenanceIntervalSeconds?: number;
  /**
   * Fetch the orgs' IMAP mailboxes in this worker too (decision 034). npm start and npm run worker
   * turn it on; tests that start a worker for jobs leave it off, so they never take another test's mailbox.
   */
  imap?: boolean | Omit<ImapFetcherOptions, "owner">;
}): Promise<RunningWorker> {
  const log = logger().child({ component: "worker" });
  const boss = new PgBoss({
    connectionString: opts.url,
    schema: BOSS_SCHEMA,
    max: 6,
    application_name: "beacon-worker",
    maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds ?? 60,
  });
  boss.on("error", (err) => log.error({ err: err.message }, "job system error"));
  installRejectionGuard();
  await boss.start();
  const polling = opts.pollingIntervalSeconds ?? 1;
  // Jobs running now (for the drain's report), and how many finished once the stop began.
  const running = new Map<string, string>();
  const workIds: string[] = [];
  let stopping = false;
  let finishedWhileStopping = 0;

  // onDead runs when the last retry fails, just before pg-boss moves the job to its dead letter
  // queue. Nothing consumes those queues: a dead letter waits there for a person (npm run jobs,
  // the admin's Jobs page; decision 022).
  const work = async <T>(
    queue: string,
    schema: ZodType<T> | null,
    handler: Handler<T>,
    onDead?: (data: unknown) => Promise<unknown>,
  ) => {
    const self: { id?: string } = {};
    self.id = await boss.work<T>(
      queue,
      { batchSize: 1, pollingIntervalSeconds: polling, includeMetadata: true },
      async ([job]) => {
        if (!job) return;
        const started = performance.now();
        running.set(job.id, queue);
        try {
          const data = schema ? schema.parse(job.data) : (job.data as T);
          const out = await handler(data);
          countJob(queue, "completed", performance.now() - started);
          // pg-boss waits a whole polling interval after every job, found or not: one job per second
          // per queue, whatever the backlog. A job was waiting, so more may be: fetch the next at once.
          if (self.id) boss.notifyWorker(self.id);
          return out;
        } catch (err) {
          countJob(queue, "failed", performance.now() - started);
          log.warn({ queue, jobId: job.id, err: err instanceof Error ? err.message : String(err) }, "job failed");
          if (onDead && job.retryCount >= job.retryLimit) {
            countJob(queue, "dead", 0);
            await onDead(job.data).catch((e: unknown) =>
              log.error(
                { queue, jobId: job.id, err: e instanceof Error ? e.message : String(e) },
                "recording a dead letter failed",
              ),
            );
          }
          throw err;
        } finally {
          running.delete(job.id);
          if (stopping) finishedWhileStopping++;
        }
      },
    );
    workIds.push(self.id);
  };

  await work(QUEUES.notify.name, ZNotifyJob, handleNotify, async (d) => {
    log.error({ queue: QUEUES.notify.name, data: d }, "notification job dead-lettered after retries");
  });
  await work(QUEUES.email.name, ZEmailJob, handleEmail, (d) => markEmailDead(ZEmailJob.parse(d)));
  await work(QUEUES.replyEmail.name, ZReplyEmailJob, handleReplyEmail, (d) =>
    markReplyEmailDead(ZReplyEmailJob.parse(d)),
  );
  await work(QUEUES.customerEmail.name, ZCustomerMailJob, handleCustomerMail, (d) =>
    markCustomerMailDead(ZCustomerMailJob.parse(d)),
  );
  await work(QUEUES.webhook.name, ZWebhookJob, handleWebhook, (d) => markWebhookDead(ZWebhookJob.parse(d)));
  await work(QUEUES.slaReapply.name, ZReapplyJob, reapplyPolicy, async (d) => {
    log.error({ queue: QUEUES.slaReapply.name, data: d }, "SLA re-apply job dead-lettered after retries");
  });
  // Several messages at once (decision 063): pg-boss 10 runs one job at a time per work() call, so
  // the queue gets INBOUND_APPLY_CONCURRENCY of them, each fetching its own job (SKIP LOCKED).
  for (let i = 0; i < (opts.inboundConcurrency ?? env().INBOUND_APPLY_CONCURRENCY); i++)
    await work(QUEUES.inboundEmail.name, ZInboundEmailJob, applyInbound, async (d) => {
      const job = ZInboundEmailJob.parse(d);
      log.error(
        { queue: QUEUES.inboundEmail.name, ...job },
        "inbound email dead-lettered after retries; the raw message is kept",
      );
      await markInboundDead(job, "failed every retry (see the worker log and the dead letter)");
    });
  const sweepImportFiles = async () => {
    const r = await unsafeSweepImportFiles();
    if (r.spoolFilesRemoved || r.workDirsRemoved) log.info({ ...r }, "import sweep removed files left on this machine");
    return r;
  };
  await work(QUEUES.bulkTickets.name, ZBulkJob, runBulkJob);
  await work(
    QUEUES.importRun.name,
    ZImportJob,
    (d) => runImportJob(d),
    (d) => markImportDead(ZImportJob.parse(d)),
  );
  await work(QUEUES.slaScan.name, null, async () => {
    const r = await unsafeScanSlas();
    if (r.warnings || r.breaches) log.info({ ...r }, "sla scan recorded events");
    return r;
  });
  await work(QUEUES.automationScan.name, null, async () => {
    const r = await unsafeScanAutomations();
    if (r.fired || r.failed) log.info({ ...r }, "time rules fired");
    return r;
  });
  await work(QUEUES.uploadSweep.name, null, async () => {
    const r = await unsafeSweepOrphanUploads();
    if (r.orphans || r.tempFilesRemoved) log.info({ ...r }, "upload sweep removed orphaned bytes");
    // Import spool and work files are on the disk of the machine that runs this tick; each worker
    // also sweeps its own when it starts (below).
    const i = await sweepImportFiles();
    return { ...r, ...i };
  });
  await work(QUEUES.idempotencySweep.name, null, async () => {
    const r = await unsafeSweepIdempotencyKeys();
    if (r.deleted) log.info({ ...r }, "idempotency sweep removed expired keys");
    return r;
  });

  if (opts.schedule !== false) {
    // A process killed mid-upload or mid-import leaves its files on this machine: swept at start,
    // in the background (a restart is when such leftovers are most likely).
    void sweepImportFiles().catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "import sweep at start failed"),
    );
    await boss.schedule(QUEUES.slaScan.name, QUEUES.slaScan.cron);
    await boss.schedule(QUEUES.automationScan.name, QUEUES.automationScan.cron);
    await boss.schedule(QUEUES.uploadSweep.name, QUEUES.uploadSweep.cron);
    await boss.schedule(QUEUES.idempotencySweep.name, QUEUES.idempotencySweep.cron);
  }
  log.info({ queues: WORK_QUEUES.map((q) => q.name) }, "worker started");
  const workerId = `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const imap: RunningImapFetcher | undefined = opts.imap
    ? startImapFetcher({ ...(opts.imap === true ? {} : opts.imap), owner: workerId })
    : undefined;
  const beat = () =>
    beatHeartbeat(workerId).catch((err: unknown) =>
      log.warn({ err: err instanceof Error ? err.message : String(err) }, "worker heartbeat failed"),
    );
  await beat();
  const heartbeat = setInterval(() => void beat(), HEARTBEAT_INTERVAL_MS);
  heartbeat.unref();
  return {
    boss,
    stop: async (graceMs = env().SHUTDOWN_GRACE_MS) => {
      stopping = true;
      const deadline = Date.now() + graceMs;
      const inProgress = running.size;
      // Stop fetching, then wait for running jobs ourselves: pg-boss's own graceful stop looks only
      // at jobs its workers hold, so a job whose fetch was in flight when the stop began ran on after
      // pg-boss had closed its pool (and stayed `active` until it expired). A fetch is one statement,
      // so 250 ms without a running job means none is on its way.
      for (const id of workIds) await boss.offWork({ id });
      // IMAP sessions finish the message in hand (stored, marked, resume point moved) and log out
      // within the same grace; one cut at the deadline leaves its message unseen, fetched again later.
      const imapStopped = imap?.stop(Math.max(0, deadline - Date.now()));
      let quietSince = 0;
      while (Date.now() < deadline) {
        if (running.size > 0) quietSince = 0;
        else if (!quietSince) quietSince = Date.now();
        else if (Date.now() - quietSince >= 250) break;
        await new Promise((r) => setTimeout(r, 25));
      }
      await imapStopped;
      const cut = [...running].map(([jobId, queue]) => ({ queue, jobId }));
      // Jobs still running are in pg-boss's workers: after its 1 s minimum it marks them failed,
      // so they are retried at once instead of when they expire.
      await boss.stop({ graceful: true, timeout: 1_000, wait: true });
      clearInterval(heartbeat);
      await removeHeartbeat(workerId).catch(() => undefined);
      if (cut.length)
        log.warn(
          { jobs: finishedWhileStopping, inProgress, cut },
          "worker stopped; jobs cut at the grace period will be retried",
        );
      else log.info({ jobs: finishedWhileStopping, inProgress }, "worker stopped");
      return { jobs: finishedWhileStopping, cut };
    },
  };
}
