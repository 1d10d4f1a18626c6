import "server-only";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import pg from "pg";
import { env } from "../env";
import * as schema from "./schema/index";

export type Db = NodePgDatabase<typeof schema>;

type State = { pool: pg.Pool; db: Db; url: string };
// Survives Next.js dev reloads, which re-evaluate modules but keep globalThis.
const g = globalThis as unknown as { __beaconDb?: State };

export function databaseUrl(): string {
  const url = env().DATABASE_URL;
  if (!url) {
    throw new Error("DATABASE_URL is not set (npm start and the test runner set it for embedded PostgreSQL)");
  }
  return url;
}

function state(): State {
  const url = databaseUrl();
  if (!g.__beaconDb || g.__beaconDb.url !== url) {
    const pool = new pg.Pool({
      connectionString: url,
      max: env().DB_POOL_MAX,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      application_name: "beacon",
      // Short OLTP queries: JIT compilation only adds latency (docs/decisions/008).
      options: "-c jit=off",
    });
    // An idle client losing its connection (database restart) must not crash the process.
    pool.on("error", () => undefined);
    // Nor a checked-out one: a transaction waiting on something else (a worker's SMTP send) holds
    // its client idle, and pg emits the server's FATAL as an 'error' event on it. Its next query
    // fails instead, which the transaction turns into a 503 or a retried job.
    pool.on("connect", (client) => void client.on("error", () => undefined));
    g.__beaconDb = { pool, db: drizzle(pool, { schema }), url };
  }
  return g.__beaconDb;
}

export function pool(): pg.Pool {
  return state().pool;
}

export function db(): Db {
  return state().db;
}

export async function closeDb(): Promise<void> {
  const s = g.__beaconDb;
  g.__beaconDb = undefined;
  await s?.pool.end();
}
