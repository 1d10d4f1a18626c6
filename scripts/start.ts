// npm start (and npm run dev with --dev): the whole of Beacon from one command.
// npm start -- --no-worker (npm run web): a web node without the in-process job worker; run
// npm run worker beside it. SIGTERM/SIGINT drain (docs/decisions/028-graceful-drain.md).
// With WEB_CONCURRENCY > 1 (default: one per core; not in --dev) this process is a node:cluster
// primary: it boots, migrates, seeds and builds once, runs the job worker and the SMTP receiver,
// and forks that many HTTP workers sharing the port (scripts/lib/cluster.ts, decision 046).
import { spawnSync } from "node:child_process";
import cluster from "node:cluster";
import os from "node:os";
import path from "node:path";
import { boot, migrate } from "./lib/boot";
import { forkHttpWorkers, runHttpWorker, type RunningCluster } from "./lib/cluster";
import { needsBuild, nextBin } from "./lib/needs-build";
import { serveNext, type RunningServer } from "./lib/http-server";
import { productionWarnings } from "./lib/production-warnings";
import { onShutdown, within } from "./lib/shutdown";
import { startWorker, type RunningWorker } from "../src/server/worker/worker";
import { inboundSmtpListen, startSmtpReceiver, type RunningSmtpReceiver } from "../src/server/email/smtp-receiver";
import { mailer } from "../src/server/email/mailer";
import { logger } from "../src/server/observability/logger";
import { demoSignIns, seedDemoIfEmpty } from "../src/server/seed/demo";

if (cluster.isWorker) {
  // An HTTP worker: the primary has booted, migrated and built; its env (DATABASE_URL, secret) is ours.
  await runHttpWorker();
} else {
  await main();
}

async function main(): Promise<void> {
  const dev = process.argv.includes("--dev");
  const withWorker = !process.argv.includes("--no-worker");
  const started = Date.now();
  const running: { server?: RunningServer | RunningCluster; worker?: RunningWorker; smtp?: RunningSmtpReceiver } = {};

  const booted = await boot({ needSecret: true });
  const { env } = booted;
  // Dev serves from one process (Next's hot reload); production forks one HTTP worker per core unless told.
  const webProcesses = dev ? 1 : (env.WEB_CONCURRENCY ?? os.availableParallelism());
  const stopped = onShutdown({
    what: "Beacon",
    graceMs: env.SHUTDOWN_GRACE_MS,
    pidFile: env.BEACON_PID_FILE ?? path.join(env.BEACON_DATA_DIR, "beacon.pid"),
    booted,
    drain: async (deadline) => {
      const [http, jobs] = await Promise.all([
        running.server?.drain(deadline),
        running.worker?.stop(Math.max(0, deadline - Date.now())),
        // Inbound mail: no new sessions; one cut mid-DATA was never acknowledged, so its sender retries.
        running.smtp && within(running.smtp.close(), Math.max(0, deadline - Date.now())),
      ]);
      return {
        drained: { requests: http?.requests ?? 0, jobs: jobs?.jobs ?? 0 },
        cut: { requests: http?.cut ?? 0, jobs: jobs?.cut.length ?? 0 },
      };
    },
  });
  for (const w of productionWarnings(env)) logger().warn({ variable: w.key }, `production: ${w.key} ${w.message}`);
  await migrate();

  if (env.NODE_ENV !== "production") {
    const seeded = await seedDemoIfEmpty({ password: env.DEMO_PASSWORD });
    if (seeded.seeded) console.log(`Seeded the demo data (${seeded.summary}).`);
    if (seeded.generatedPassword) {
      console.log(`Demo password (generated, shown once; set DEMO_PASSWORD to choose it): ${seeded.generatedPassword}`);
    }
  }

  if (!dev && needsBuild()) {
    console.log("Building the app (first start or sources changed)…");
    const r = spawnSync(process.execPath, [nextBin(), "build"], { stdio: "inherit", env: process.env });
    if (r.status !== 0) {
      console.error("next build failed; see above.");
      await stopped.exit(1);
    }
  }

  if (withWorker) {
    running.worker = await startWorker({ url: process.env.DATABASE_URL!, imap: true });
    console.log(`Job worker running beside the app; email goes to ${mailer().describe}.`);
  } else {
    console.log("Web node only (--no-worker): run npm run worker somewhere for jobs (email, webhooks, SLA scan).");
  }
  const server = (running.server =
    webProcesses > 1 ? await forkHttpWorkers(webProcesses) : await serveNext({ dev, host: env.HOST, port: env.PORT }));
  const smtpListen = inboundSmtpListen(env);
  if (smtpListen) {
    try {
      running.smtp = await startSmtpReceiver(smtpListen);
      console.log(
        `Inbound mail (SMTP) on ${running.smtp.host}:${running.smtp.port}; mail to a support address opens or answers tickets.`,
      );
    } catch (err) {
      // The default port taken (a second npm start on one machine) costs the default receiver only;
      // a port the operator chose must be had, so that failure stops the boot.
      if (env.INBOUND_SMTP_PORT !== undefined || (err as NodeJS.ErrnoException).code !== "EADDRINUSE") throw err;
      logger().warn(
        { host: smtpListen.host, port: smtpListen.port },
        "inbound SMTP port in use; running without the receiver (set INBOUND_SMTP_PORT)",
      );
    }
  }
  const processes = webProcesses > 1 ? `, ${webProcesses} HTTP worker processes` : "";
  console.log(
    `\nBeacon is running at ${server.url}  (${dev ? "development" : "production"} mode, pid ${process.pid}${processes}, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  if (env.NODE_ENV !== "production") {
    const { emails, passwordHint } = demoSignIns(env.DEMO_PASSWORD);
    console.log(`Demo sign-ins (${passwordHint}):`);
    for (const e of emails) console.log(`  ${e}`);
  }
  console.log(
    `Press Ctrl-C to stop (or SIGTERM pid ${process.pid}; drains for up to ${env.SHUTDOWN_GRACE_MS / 1000} s).\n`,
  );
}
