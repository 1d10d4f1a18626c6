// npm run worker: the job worker alone (SLA scan, time rules incl. auto-close, notifications, email, webhooks).
// Run as many as you like against one database; each job is handled once. SIGTERM/SIGINT let
// running jobs finish within SHUTDOWN_GRACE_MS (docs/decisions/028-graceful-drain.md).
import path from "node:path";
import { boot, migrate } from "./lib/boot";
import { productionWarnings } from "./lib/production-warnings";
import { onShutdown } from "./lib/shutdown";
import { startWorker, type RunningWorker } from "../src/server/worker/worker";
import { logger } from "../src/server/observability/logger";

// needSecret: reply tokens and IMAP passwords (sealed) need the same NEXTAUTH_SECRET as the app.
const booted = await boot({ quiet: false, needSecret: true });
const { env } = booted;
const running: { worker?: RunningWorker } = {};
onShutdown({
  what: "Beacon worker process",
  graceMs: env.SHUTDOWN_GRACE_MS,
  pidFile: env.BEACON_PID_FILE ?? path.join(env.BEACON_DATA_DIR, "worker.pid"),
  booted,
  drain: async (deadline) => {
    const r = await running.worker?.stop(Math.max(0, deadline - Date.now()));
    return { drained: { jobs: r?.jobs ?? 0 }, cut: { jobs: r?.cut.length ?? 0 } };
  },
});
for (const w of productionWarnings(env))
  if (w.key === "SMTP_URL") logger().warn({ variable: w.key }, `production: ${w.key} ${w.message}`);
await migrate(true);
running.worker = await startWorker({ url: process.env.DATABASE_URL!, imap: true });
console.log(`Beacon worker running (pid ${process.pid}). Press Ctrl-C to stop (or SIGTERM pid ${process.pid}).`);
