// npm run bench:write-pairs -- [--pairs 200] [--concurrency 2] [--orgs 10]
//
// Create + first reply through the real domain code, in-process, on the bench database of
// DATABASE_URL (issue 16 item 2, decision 047): a customer's createTicket() and an agent's
// addComment() on it, each in its own tenant transaction (withTenant: BEGIN, the tenant settings,
// the write, COMMIT — the request wrapper's caller lookup and the HTTP edge are not included),
// over the largest generated orgs in rotation.
//   1. Counting pass (10 pairs, one at a time): statements per create and per reply, counted at
//      pg.Client#query, and the tickets' row versions each write made, from
//      pg_stat_xact_user_tables read at the end of each write's own transaction.
//   2. Timed pass: --pairs pairs by --concurrency callers at once; pairs/s, and the CPU per pair of
//      this process and of the PostgreSQL backends serving this database (from /proc, Linux; the
//      figure to steer by on a shared machine, where wall time follows the other sessions' load).
// The tickets stay (in the bench orgs); the jobs they queued are deleted (no worker runs here).
import { randomUUID } from "node:crypto";
import os from "node:os";
import { parseArgs } from "node:util";
import pg from "pg";
import { sql } from "drizzle-orm";
import { boot, migrate } from "../lib/boot";
import { closeDb, db } from "../../src/server/db/client";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import type { Principal } from "../../src/server/core/principal";
import type { Scope } from "../../src/server/core/scope";
import { createTicket } from "../../src/server/tickets/create-ticket";
import { addComment } from "../../src/server/tickets/add-comment";
import { backendPids, cpuPerRequest, cpuSnapshot } from "./lib/proc-cpu";

const { values } = parseArgs({
  options: {
    pairs: { type: "string", default: "200" },
    concurrency: { type: "string", default: "2" },
    orgs: { type: "string", default: "10" },
  },
  strict: true,
});
const PAIRS = Number(values.pairs);
const CONCURRENCY = Number(values.concurrency);
const ORGS = Number(values.orgs);

setProcessEnv({ LOG_LEVEL: "silent" });
const booted = await boot({ quiet: true });
await migrate(true);
const started = new Date();
let code = 0;
try {
  type Row = {
    id: string;
    role: Principal["role"];
    email: string;
    name: string;
    session_version: number;
    org_id: string;
  };
  const rows = (
    await unsafeWithSystem((tx) =>
      tx.execute<Row>(sql`
    select u.id, u.role, u.email, u.name, u.session_version, u.org_id from (
      select id from orgs where slug ~ '^bench-[0-9]+$' order by ticket_seq desc limit ${ORGS}) o
    cross join lateral (
      (select * from users where org_id = o.id and role = 'customer' and blocked_at is null order by email limit 1)
      union all (select * from users where org_id = o.id and role = 'agent' and blocked_at is null order by email limit 1)) u`),
    )
  ).rows;
  const p = (u: Row): Principal => ({
    userId: u.id,
    orgId: u.org_id,
    role: u.role,
    email: u.email,
    name: u.name,
    mustChangePassword: false,
    twoFactorSetupRequired: false,
    sessionVersion: u.session_version,
    via: "token",
  });
  const orgs = [...new Set(rows.map((r) => r.org_id))].map((orgId) => ({
    orgId,
    customer: p(rows.find((r) => r.org_id === orgId && r.role === "customer")!),
    agent: p(rows.find((r) => r.org_id === orgId && r.role === "agent")!),
  }));
  if (orgs.length === 0) throw new Error("no bench orgs: run npm run bench:generate first");
  const scope = (user: Principal, tx: Scope["tx"]): Scope => ({
    tx,
    user,
    requestId: `bench-write-pairs-${randomUUID()}`,
  });
  const versions = sql`select coalesce(sum(n_tup_ins + n_tup_upd), 0)::int as v from pg_stat_xact_user_tables where relname = 'tickets'`;

  const pair = async (i: number, count?: { create: number[]; reply: number[]; versions: number[] }) => {
    const o = orgs[i % orgs.length]!;
    const seen: string[] = [];
    const query = pg.Client.prototype.query;
    if (count) {
      pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
        seen.push(String(typeof a[0] === "string" ? a[0] : (a[0] as { text?: string }).text));
        return (query as (...x: unknown[]) => unknown).apply(this, a);
      } as typeof pg.Client.prototype.query;
    }
    try {
      let v = 0;
      // The backend's pending counts can include earlier transactions not yet flushed: the write's
      // own are the difference between a read before and one after it, in its transaction.
      const probe = async (tx: Scope["tx"]) => (count ? (await tx.execute<{ v: number }>(versions)).rows[0]!.v : 0);
      const t = await withTenant(o.orgId, async (tx) => {
        const before = await probe(tx);
        const r = await createTicket(scope(o.customer, tx), {
          subject: `Bench pair ${i}: the printer is jammed again`,
          body: "It happened again this morning, right after the coffee break. Could someone have a look?",
        });
        v += (await probe(tx)) - before;
        return r;
      });
      const created = seen.length - (count ? 2 : 0);
      seen.length = 0;
      await withTenant(o.orgId, async (tx) => {
        const before = await probe(tx);
        await addComment(scope(o.agent, tx), t.id, {
          body: "Thanks, we are on it: a technician is on the way.",
          internal: false,
        });
        v += (await probe(tx)) - before;
      });
      if (count) {
        count.create.push(created);
        count.reply.push(seen.length - 2);
        count.versions.push(v);
      }
    } finally {
      pg.Client.prototype.query = query;
    }
  };

  const count = { create: [] as number[], reply: [] as number[], versions: [] as number[] };
  for (let i = 0; i < 10; i++) await pair(i, count);
  const avg = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  console.log(
    `statements per create ${avg(count.create)}, per reply ${avg(count.reply)} (with BEGIN, tenant settings and COMMIT); ticket row versions per create + reply ${avg(count.versions)}`,
  );

  let next = 0;
  // PostgreSQL's CPU: the backends of this database (one that connects meanwhile counts from zero).
  const pids = async () => {
    const c = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    try {
      return await backendPids(c);
    } finally {
      await c.end();
    }
  };
  const cpu0 = cpuSnapshot(process.pid, await pids());
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      for (let i = next++; i < PAIRS; i = next++) await pair(100 + i);
    }),
  );
  const s = (performance.now() - t0) / 1000;
  const cpu = cpuPerRequest(
    cpu0,
    cpuSnapshot(process.pid, [...new Set([...cpu0.backends.keys(), ...(await pids())])]),
    PAIRS,
  );
  console.log(`${PAIRS} pairs by ${CONCURRENCY} callers in ${s.toFixed(1)} s: ${(PAIRS / s).toFixed(1)} pairs/s`);
  console.log(
    `CPU per pair: this process ${cpu.server} ms, PostgreSQL backends ${cpu.postgres ?? "?"} ms (load ${os.loadavg()[0]!.toFixed(1)})`,
  );
  console.log(
    JSON.stringify({
      createStatements: avg(count.create),
      replyStatements: avg(count.reply),
      rowVersions: avg(count.versions),
      pairsPerSec: PAIRS / s,
      cpuMsPerPair: { app: cpu.server, postgres: cpu.postgres },
    }),
  );
} catch (err) {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  code = 1;
} finally {
  await db().execute(sql`delete from pgboss.job where state = 'created' and created_on >= ${started}`);
  await closeDb();
  await booted.shutdown();
}
process.exit(code);
