// npm start on every core (issue 16 item 3, docs/decisions/046-own-api-server-and-cluster.md):
// the primary (scripts/start.ts) boots, migrates, seeds, builds, runs the job worker and the
// inbound SMTP receiver once, and forks WEB_CONCURRENCY HTTP workers here; each serves the app
// (scripts/lib/http-server.ts) on the one port node:cluster shares among them. The primary owns the
// signals and the pid file: on SIGTERM it tells every worker to drain (decision 028), and its own
// drain finishes when every worker has reported what it finished and what it cut, and exited.
import cluster, { type Worker } from "node:cluster";
import path from "node:path";
import { serveNext, type DrainReport, type RunningServer } from "./http-server";
import { within } from "./shutdown";
import { closeDb } from "../../src/server/db/client";
import { envOrExit } from "../../src/server/env";
import { logger } from "../../src/server/observability/logger";

type ToWorker = { kind: "drain"; deadline: number };
type ToPrimary = { kind: "listening"; url: string } | ({ kind: "drained" } & DrainReport);

export type RunningCluster = Pick<RunningServer, "url" | "drain"> & { workers: number };

/**
 * Forks `n` HTTP workers and resolves once every one listens. A worker that dies while the cluster
 * serves is replaced (logged as an error); one that dies before it listened fails the start.
 */
export async function forkHttpWorkers(n: number): Promise<RunningCluster> {
  // Each worker runs this very command (scripts/run.mjs start …), which loads tsx and the
  // server-only shim before scripts/start.ts sees cluster.isWorker.
  cluster.setupPrimary({
    exec: path.resolve(import.meta.dirname, "../run.mjs"),
    args: ["start", ...process.argv.slice(2)],
  });
  let draining = false;
  const reports = new Map<number, DrainReport>();
  const fork = () =>
    new Promise<{ worker: Worker; url: string }>((resolve, reject) => {
      const worker = cluster.fork();
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`HTTP worker ${worker.process.pid} exited (${signal ?? code}) before it listened`));
      worker.once("exit", onExit);
      worker.on("message", (m: ToPrimary) => {
        if (m.kind === "listening") {
          worker.off("exit", onExit);
          worker.once("exit", (code, signal) => {
            if (draining) return;
            logger().error({ pid: worker.process.pid, code, signal }, "HTTP worker died; starting another");
            fork().catch((err: unknown) => logger().error({ err: String(err) }, "HTTP worker could not be replaced"));
          });
          resolve({ worker, url: m.url });
        } else if (m.kind === "drained") {
          reports.set(worker.id, { requests: m.requests, cut: m.cut });
        }
      });
    });
  const started = await Promise.all(Array.from({ length: n }, fork));
  return {
    url: started[0]!.url,
    workers: n,
    drain: async (deadline) => {
      draining = true;
      const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              w.once("exit", () => resolve());
              w.send({ kind: "drain", deadline } satisfies ToWorker);
            }),
        ),
      );
      const all = [...reports.values()];
      // A worker that exited without its report cut whatever it had in flight: count it as one.
      const silent = workers.filter((w) => !reports.has(w.id)).length;
      return { requests: all.reduce((s, r) => s + r.requests, 0), cut: all.reduce((s, r) => s + r.cut, 0) + silent };
    },
  };
}

/**
 * An HTTP worker: serves the production build on the shared port and drains when the primary says
 * so. It ignores SIGINT/SIGTERM itself: Ctrl-C reaches the whole process group, and the drain is
 * the primary's to start (it then waits for every worker). A primary gone (IPC closed) drains too.
 */
export async function runHttpWorker(): Promise<void> {
  const env = envOrExit();
  for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => undefined);
  const server = await serveNext({ dev: false, host: env.HOST, port: env.PORT });
  let draining = false;
  const drain = async (deadline: number) => {
    if (draining) return;
    draining = true;
    const report = await server.drain(deadline);
    await within(closeDb(), report.cut > 0 ? 1_000 : 5_000);
    if (process.connected)
      process.send!({ kind: "drained", ...report } satisfies ToPrimary, () => process.exit(report.cut > 0 ? 1 : 0));
    else process.exit(report.cut > 0 ? 1 : 0);
  };
  process.on("message", (m: ToWorker) => {
    if (m.kind === "drain") void drain(m.deadline);
  });
  process.on("disconnect", () => void drain(Date.now() + env.SHUTDOWN_GRACE_MS));
  process.send!({ kind: "listening", url: server.url } satisfies ToPrimary);
}
