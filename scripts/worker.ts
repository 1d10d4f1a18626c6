// npm run worker: the job worker alone (SLA scan, notifications, email, webhooks, auto-close).
// Run as many as you like against one database; each job is handled once.
import { boot, migrate } from "./lib/boot";
import { closeDb } from "../src/server/db/client";
import { startWorker } from "../src/server/jobs/worker";

const booted = await boot({ quiet: false });
await migrate(true);
const worker = await startWorker({ url: process.env.DATABASE_URL! });
console.log("Beacon worker running. Press Ctrl-C to stop.");

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  await worker.stop().catch(() => undefined);
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
