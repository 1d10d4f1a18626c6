// npm start (and npm run dev with --dev): the whole of Beacon from one command.
import { spawnSync } from "node:child_process";
import { boot, migrate } from "./lib/boot";
import { needsBuild, nextBin } from "./lib/needs-build";
import { serveNext, type RunningServer } from "./lib/http-server";
import { closeDb } from "../src/server/db/client";
import { startWorker, type RunningWorker } from "../src/server/jobs/worker";
import { mailer } from "../src/server/notifications/email";
import { demoSignIns, seedDemoIfEmpty } from "../src/server/seed/demo";

const dev = process.argv.includes("--dev");
const started = Date.now();
const running: { server?: RunningServer; worker?: RunningWorker } = {};
let stopping = false;

const booted = await boot({ needSecret: true });
const { env } = booted;
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
    await stop(1);
  }
}

running.worker = await startWorker({ url: process.env.DATABASE_URL! });
console.log(`Job worker running beside the app; email goes to ${mailer().describe}.`);
const server = (running.server = await serveNext({ dev, host: env.HOST, port: env.PORT }));
console.log(`\nBeacon is running at ${server.url}  (${dev ? "development" : "production"} mode, ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
if (env.NODE_ENV !== "production") {
  const { emails, passwordHint } = demoSignIns(env.DEMO_PASSWORD);
  console.log(`Demo sign-ins (${passwordHint}):`);
  for (const e of emails) console.log(`  ${e}`);
}
console.log("Press Ctrl-C to stop.\n");

async function stop(code = 0): Promise<never> {
  if (stopping) process.exit(code);
  stopping = true;
  console.log("\nStopping Beacon…");
  await running.server?.close().catch(() => undefined);
  await running.worker?.stop().catch(() => undefined);
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
  if (booted.embedded) console.log("Embedded PostgreSQL stopped.");
  process.exit(code);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
