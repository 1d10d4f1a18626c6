import "server-only";
import { drizzle, type NodePgDatabase } from "drizzle-orm/node-postgres";
import { createHash } from "node:crypto";
import pg from "pg";
import { env } from "../env";
import * as schema from "./schema/index";
import { webDatabaseUrl } from "./roles";

export type Db = NodePgDatabase<typeof schema>;

type Pools = { pool: pg.Pool; db: Db };
// system: the owner (DATABASE_URL), for unsafeWithSystem, jobs, health and scripts.
// web: the request login role, a member of beacon_app only (docs/decisions/027), for withTenant.
type OrgKey = { ipad: Buffer; opad: Buffer };
type State = {
  system: Pools;
  web: Pools | null;
  url: string;
  orgKey?: Promise<OrgKey>;
  signatures?: Map<string, string>;
};
// Survives Next.js dev reloads, which re-evaluate modules but keep globalThis.
const g = globalThis as unknown as { __beaconDb?: State };

export function databaseUrl(): string {
  const url = env().DATABASE_URL;
  if (!url) {
    throw new Error("DATABASE_URL is not set (npm start and the test runner set it for embedded PostgreSQL)");
  }
  return url;
}

function makePools(connectionString: string, applicationName: string): Pools {
  const pool = new pg.Pool({
    connectionString,
    max: env().DB_POOL_MAX,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
    application_name: applicationName,
    // Short OLTP queries: JIT compilation only adds latency (docs/decisions/008).
    options: "-c jit=off",
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on("error", () => undefined);
  // Nor a checked-out one: a transaction waiting on something else (a worker's SMTP send) holds
  // its client idle, and pg emits the server's FATAL as an 'error' event on it. Its next query
  // fails instead, which the transaction turns into a 503 or a retried job.
  pool.on("connect", (client) => void client.on("error", () => undefined));
  return { pool, db: drizzle(pool, { schema }) };
}

function state(): State {
  const url = databaseUrl();
  if (!g.__beaconDb || g.__beaconDb.url !== url) {
    g.__beaconDb = { system: makePools(url, "beacon"), web: null, url };
  }
  return g.__beaconDb;
}

/** The request pool: connects as the web login role; every use switches to beacon_app first (withTenant). */
export function webDb(): Db {
  const s = state();
  s.web ??= makePools(webDatabaseUrl(s.url, env().DATABASE_WEB_URL), "beacon-web");
  return s.web.db;
}

/**
 * app.org_sig for an org: HMAC-SHA256 over the org id with the key in beacon_private.org_key
 * (drizzle/0012_signed_org.sql), read once through the owner pool. The request role cannot
 * read the key, so SQL that escapes a request cannot sign another org (docs/decisions/027).
 */
export async function orgSignature(orgId: string): Promise<string> {
  const s = state();
  const cached = s.signatures?.get(orgId);
  if (cached) return cached;
  s.orgKey ??= s.system.pool
    .query<{ ipad: Buffer; opad: Buffer }>("select ipad, opad from beacon_private.org_key")
    .then((r) => {
      if (!r.rows[0]) throw new Error("beacon_private.org_key is empty: run npm run db:migrate");
      return r.rows[0];
    });
  let key: OrgKey;
  try {
    key = await s.orgKey;
  } catch (err) {
    s.orgKey = undefined; // a database outage must not stick
    throw err;
  }
  const inner = createHash("sha256").update(key.ipad).update(orgId, "utf8").digest();
  const sig = createHash("sha256").update(key.opad).update(inner).digest("hex");
  s.signatures ??= new Map();
  if (s.signatures.size >= 10_000) s.signatures.clear();
  s.signatures.set(orgId, sig);
  return sig;
}

/** The system (owner) pool. */
export function pool(): pg.Pool {
  return state().system.pool;
}

/** The system (owner) pool; request work goes through withTenant (webDb). */
export function db(): Db {
  return state().system.db;
}

export async function closeDb(): Promise<void> {
  const s = g.__beaconDb;
  g.__beaconDb = undefined;
  await Promise.all([s?.system.pool.end(), s?.web?.pool.end()]);
}
