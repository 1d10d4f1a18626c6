// npm run test:e2e: Playwright against a production build of Beacon on a throwaway database.
//
// Builds when needed, makes a fresh database (a new `beacon_e2e_*` database on DATABASE_URL's
// server, else embedded PostgreSQL in a temp dir), migrates and seeds the demo data, serves the
// app from this process on a free port, runs Playwright in Debian's Chromium, and tears everything
// down again whatever happened. Extra arguments go to Playwright (`npm run test:e2e -- -g login`).
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { spawn } from "node:child_process";
import { buildIfNeeded } from "./lib/needs-build";
import { serveNext, type RunningServer } from "./lib/http-server";
import { setProcessEnv } from "../src/server/env";
import { startEmbeddedPostgres, type EmbeddedServer } from "../src/server/db/embedded";
import { prepareDatabase } from "../src/server/deploy/prepare-database";
import { startWorker } from "../src/server/worker/worker";
import { startSmtpReceiver } from "../src/server/email/smtp-receiver";
import { closeDb } from "../src/server/db/client";
import { insertDemoOrgCopy, seedDemoIfEmpty } from "../src/server/seed/demo";
import { hashPassword } from "../src/server/auth/password";
import { adminQuery, freePort } from "./lib/local-infra";

const CHROMIUM = "/usr/bin/chromium";

if (!fs.existsSync(CHROMIUM)) {
  console.log("skipped: no chromium");
  process.exit(0);
}

const started = Date.now();
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;

/** Runs every registered cleanup once, newest first; a failing step does not stop the others. */
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    for (const fn of cleanups.reverse()) {
      await fn().catch((err: unknown) =>
        console.error(`e2e cleanup: ${err instanceof Error ? err.message : String(err)}`),
      );
    }
  })();
  return cleaning;
}

let child: ReturnType<typeof spawn> | undefined;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    child?.kill(signal);
    void cleanup().then(() => process.exit(130));
  });
}

let exitCode = 1;
try {
  exitCode = await run();
} catch (err) {
  console.error(`e2e: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  exitCode = 1;
} finally {
  await cleanup();
}
console.log(`e2e finished in ${((Date.now() - started) / 1000).toFixed(1)} s (exit ${exitCode}).`);
process.exit(exitCode);

async function run(): Promise<number> {
  await buildIfNeeded({ log: (line) => console.log(`e2e: ${line}`) });

  const { url: databaseUrl, embedded } = await freshDatabase();
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const password = randomBytes(12).toString("base64url");
  // Uploads and the mail spool (.eml files, no SMTP_URL) of this run only; the email spec reads the spool.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-e2e-data-"));
  cleanups.push(async () => fs.rmSync(dataDir, { recursive: true, force: true }));
  delete process.env.SMTP_URL;
  setProcessEnv({
    BEACON_DATA_DIR: dataDir,
    NODE_ENV: "development",
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: randomBytes(32).toString("base64url"),
    NEXTAUTH_URL: baseUrl,
    DEMO_PASSWORD: password,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    // The e2e webhook receiver listens on loopback, which the outbound guard refuses by default.
    OUTBOUND_ALLOW_PRIVATE: "127.0.0.0/8,::1/128",
    // Every test signs in from 127.0.0.1, two workers at once (decision 049): the per-address
    // daily sign-in budget (default 100) would refuse the run's own sign-ins. The per-email budget
    // stays at its default, which tests/e2e/sign-in.spec.ts checks.
    RATE_LIMIT_SIGNIN_IP_PER_DAY: "1000000",
    ...(embedded ? { BEACON_EMBEDDED_DB: "1" } : {}),
  });

  await prepareDatabase(databaseUrl);
  const seeded = await seedDemoIfEmpty({ password });
  console.log(`e2e: database ready${seeded.seeded ? ` (${seeded.summary})` : ""}.`);

  // The seed refuses production; the app itself runs as it would in production.
  setProcessEnv({ NODE_ENV: "production" });
  const server: RunningServer = await serveNext({ dev: false, host: "127.0.0.1", port });
  // The same build with the API left to Next's route files (as `npm run dev` serves it), in this
  // same process: tests/e2e/api-server.spec.ts sends the same requests to both and compares.
  const nextApiPort = await freePort();
  const nextApi: RunningServer = await serveNext({ dev: false, host: "127.0.0.1", port: nextApiPort, api: "next" });
  const worker = await startWorker({ url: databaseUrl });
  cleanups.push(async () => {
    await server.close();
    await nextApi.close();
    await worker.stop();
    await closeDb();
  });
  // The inbound SMTP receiver, as npm start runs it, on a free loopback port (the email spec sends to it).
  const smtp = await startSmtpReceiver({ host: "127.0.0.1", port: 0 });
  cleanups.push(() => smtp.close());
  console.log(`e2e: Beacon is serving ${baseUrl}; inbound SMTP on 127.0.0.1:${smtp.port}`);
  const factory = await startOrgFactory(await hashPassword(password));
  cleanups.push(factory.close);

  return new Promise<number>((resolve, reject) => {
    child = spawn(process.execPath, ["node_modules/@playwright/test/cli.js", "test", ...process.argv.slice(2)], {
      stdio: "inherit",
      env: {
        ...process.env,
        E2E_BASE_URL: baseUrl,
        E2E_NEXT_API_URL: `http://127.0.0.1:${nextApiPort}`,
        E2E_PASSWORD: password,
        DATABASE_URL: databaseUrl,
        E2E_SMTP_PORT: String(smtp.port),
        E2E_ORG_FACTORY: factory.url,
        E2E_MAIL_DIR: path.join(dataDir, "mail"),
      },
    });
    child.once("error", reject);
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * The e2e fixture's org factory (tests/e2e/fixtures.ts): `POST /orgs` on a loopback port of this
 * process makes a fresh copy of the Acme demo org under a new slug and answers its id, slug and
 * name. It lives here, not in the app, so the served build has no test-only route.
 */
async function startOrgFactory(passwordHash: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/orgs") {
      res.writeHead(404).end();
      return;
    }
    const suffix = randomBytes(5).toString("hex");
    insertDemoOrgCopy({ slug: `e2e-${suffix}`, name: `Acme Support ${suffix}`, passwordHash })
      .then((org) => res.writeHead(201, { "content-type": "application/json" }).end(JSON.stringify(org)))
      .catch((err: unknown) =>
        res.writeHead(500, { "content-type": "text/plain" }).end(err instanceof Error ? err.message : String(err)),
      );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A new, empty database for this run only; its removal is registered as a cleanup. */
async function freshDatabase(): Promise<{ url: string; embedded: boolean }> {
  let adminUrl = process.env.DATABASE_URL;
  let embedded: EmbeddedServer | undefined;
  if (!adminUrl) {
    const tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-e2e-pg-"));
    // The embedded server may run as the `postgres` OS user, which must reach the data dir.
    fs.chmodSync(tmpDir, 0o755);
    cleanups.push(async () => fs.rmSync(tmpDir, { recursive: true, force: true }));
    const port = await freePort();
    console.log(`e2e: starting embedded PostgreSQL on 127.0.0.1:${port}…`);
    embedded = await startEmbeddedPostgres({ dataDir: path.join(tmpDir, "data"), port });
    const server = embedded;
    cleanups.push(() => server.stop());
    adminUrl = embedded.url("postgres");
  }
  const name = `beacon_e2e_${randomBytes(6).toString("hex")}`;
  await adminQuery(adminUrl, `create database ${name}`);
  if (!embedded) {
    const admin = adminUrl;
    cleanups.push(() => adminQuery(admin, `drop database if exists ${name} with (force)`));
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), embedded: Boolean(embedded) };
}
