// The app under load for npm run bench: the production build served by the project's own server
// (scripts/lib/http-server.ts serveNext, what npm start runs), on 127.0.0.1 and a free port.
// Spawned by http-load.ts with an IPC channel: it sends {ready, url} once listening, and answers
// {profile: "start"} / {profile: "stop", file} by starting and stopping the V8 CPU profiler in this
// process (so a profile covers only the load it was asked for, without a restart).
//
// What npm start does and this does not: demo seeding (production mode never seeds) and the job
// worker. The worker's work is asynchronous (notifications, SLA scan every minute) and not on the
// request path; the SLA scan and the export are measured on their own.
import fs from "node:fs";
import inspector from "node:inspector";
import { boot, migrate } from "../lib/boot";
import { serveNext } from "../lib/http-server";
import { closeDb } from "../../src/server/db/client";

type Message = { profile: "start" } | { profile: "stop"; file: string };

const booted = await boot({ quiet: true, needSecret: true });
await migrate(true);
const server = await serveNext({ dev: false, host: "127.0.0.1", port: Number(process.env.BENCH_APP_PORT ?? 0) });

let session: inspector.Session | null = null;
const post = <T>(method: string, params?: object) =>
  new Promise<T>((resolve, reject) =>
    session!.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))),
  );

process.on("message", (m: Message) => {
  void (async () => {
    try {
      if (m.profile === "start") {
        session ??= new inspector.Session();
        session.connect();
        await post("Profiler.enable");
        await post("Profiler.setSamplingInterval", { interval: 500 });
        await post("Profiler.start");
        process.send?.({ profiling: true });
      } else if (m.profile === "stop" && session) {
        const { profile } = await post<{ profile: unknown }>("Profiler.stop");
        fs.writeFileSync(m.file, JSON.stringify(profile));
        session.disconnect();
        session = null;
        process.send?.({ profiled: m.file });
      }
    } catch (err) {
      process.send?.({ error: String(err) });
    }
  })();
});

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await server.close().catch(() => undefined);
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
  process.exit(0);
}
process.on("SIGTERM", () => void stop());
process.on("SIGINT", () => void stop());
process.on("disconnect", () => void stop());
process.send?.({ ready: true, url: server.url });
