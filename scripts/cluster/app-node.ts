// One app process of the cluster test: the production build served by the project's own server
// (scripts/lib/http-server.ts, as `npm start` serves it) without the in-process worker, so the
// test decides how many workers run. Configuration comes from the environment the test gives it.
// Like `npm start --no-worker`, the web process also runs the inbound SMTP receiver when
// INBOUND_SMTP_HOST/INBOUND_SMTP_PORT are set (production: only when configured).
import { serveNext } from "../lib/http-server";
import { closeDb } from "../../src/server/db/client";
import { envOrExit } from "../../src/server/env";
import { inboundSmtpListen, startSmtpReceiver } from "../../src/server/email/smtp-receiver";

const env = envOrExit();
const server = await serveNext({ dev: false, host: "127.0.0.1", port: env.PORT });
const listen = inboundSmtpListen(env);
const smtp = listen ? await startSmtpReceiver(listen) : null;
console.log(
  `cluster app listening on ${server.url}${smtp ? `, inbound SMTP on ${smtp.host}:${smtp.port}` : ""} (pid ${process.pid})`,
);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) process.exit(1);
  stopping = true;
  await smtp?.close().catch(() => undefined);
  await server.close().catch(() => undefined);
  await closeDb().catch(() => undefined);
  process.exit(0);
}
process.on("SIGINT", () => void stop());
process.on("SIGTERM", () => void stop());
