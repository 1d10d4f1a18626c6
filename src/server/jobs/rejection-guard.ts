import "server-only";
import { toAppError } from "../core/to-app-error";
import { logger } from "../observability/logger";

/**
 * pg-boss 10 records a finished job as completed or failed without awaiting it (in its worker
 * loop, `this.complete(…)` / `this.fail(…)`; timgit/pg-boss#577). When the database goes away at
 * that moment the rejection is unhandled and Node ends the worker process, as the cluster test
 * saw on a PostgreSQL restart. Such a job simply stays active, expires and is retried (every
 * handler is idempotent), so a rejection that means "database unavailable" is logged and the
 * worker carries on. Any other unhandled rejection is rethrown and still ends the process.
 */
export function onUnhandledRejection(reason: unknown): void {
  if (toAppError(reason).code === "unavailable") {
    logger().warn(
      { component: "worker", err: reason instanceof Error ? reason.message : String(reason) },
      "job state not recorded: the database was unavailable; the job will expire and be retried",
    );
    return;
  }
  throw reason;
}

const g = globalThis as unknown as { __beaconRejectionGuard?: boolean };

/** Installed once per process by startWorker(). */
export function installRejectionGuard(): void {
  if (g.__beaconRejectionGuard) return;
  g.__beaconRejectionGuard = true;
  process.on("unhandledRejection", onUnhandledRejection);
}
