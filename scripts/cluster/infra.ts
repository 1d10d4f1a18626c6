// The cluster test's own infrastructure: a PostgreSQL it can stop and start (embedded, in a temp
// dir) or a fresh database on CLUSTER_DATABASE_URL's server, and a private redis-server.
import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { ensureDatabase, startEmbeddedPostgres, type EmbeddedServer } from "../../src/server/db/embedded";
import { spawnChild, type Child } from "./procs";
import { adminQuery, freePort } from "../lib/local-infra";

export type Database = {
  url: string;
  describe: string;
  /** Only the embedded server can be restarted; null when the run uses CLUSTER_DATABASE_URL. */
  restart: { stop: () => Promise<void>; start: () => Promise<void> } | null;
  close: () => Promise<void>;
};

export async function startDatabase(workDir: string, log: (line: string) => void): Promise<Database> {
  const external = process.env.CLUSTER_DATABASE_URL;
  if (external) {
    const name = `beacon_cluster_${randomBytes(5).toString("hex")}`;
    await adminQuery(external, `create database ${name}`);
    const u = new URL(external);
    u.pathname = `/${name}`;
    return {
      url: u.toString(),
      describe: `database ${name} on ${u.host} (CLUSTER_DATABASE_URL; not restartable by this test)`,
      restart: null,
      close: () => adminQuery(external, `drop database if exists ${name} with (force)`),
    };
  }
  const dataDir = path.join(workDir, "postgres");
  // The embedded server may run as the `postgres` OS user, which must reach the data dir.
  fs.chmodSync(workDir, 0o755);
  const port = await freePort();
  let server: EmbeddedServer | null = await startEmbeddedPostgres({ dataDir, port, log });
  await ensureDatabase(server.url("postgres"), "beacon");
  const url = server.url("beacon");
  return {
    url,
    describe: `embedded PostgreSQL 15 on 127.0.0.1:${port} (data in ${dataDir})`,
    restart: {
      stop: async () => {
        const s = server;
        server = null;
        await s?.stop();
      },
      start: async () => {
        server ??= await startEmbeddedPostgres({ dataDir, port, log });
      },
    },
    close: async () => {
      const s = server;
      server = null;
      await s?.stop();
    },
  };
}

export type RedisServer = {
  url: string;
  version: string;
  stop: () => Promise<void>;
  start: () => Promise<void>;
  close: () => Promise<void>;
};

/** A private redis-server (no persistence) on a free port, or null when the binary is missing. */
export async function startRedis(logDir: string, cwd: string): Promise<RedisServer | null> {
  const probe = spawnSync("redis-server", ["--version"], { encoding: "utf8" });
  if (probe.error || probe.status !== 0) return null;
  const version = /v=([\d.]+)/.exec(probe.stdout)?.[1] ?? "unknown";
  const port = await freePort();
  let child: Child | null = null;
  let generation = 0;
  const start = async () => {
    if (child?.isRunning()) return;
    child = spawnChild({
      name: `redis-${++generation}`,
      cmd: "redis-server",
      args: [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--protected-mode",
        "yes",
      ],
      env: process.env,
      cwd,
      logDir,
    });
    await child.waitForLine(/Ready to accept connections/, 15_000);
  };
  const stop = async () => {
    const c = child;
    child = null;
    await c?.stop(5_000);
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, version, start, stop, close: stop };
}
