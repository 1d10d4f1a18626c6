// Audit chain verification speed for npm run bench (SPEC §9: ≥ 200k events/s).
//
// Verification runs through the real code: verifyChain() of src/server/audit/verify-chain.ts in a
// tenant transaction (what npm run audit:verify and GET /api/v1/audit/verify run). The chain it
// walks is a dedicated org, `bench-audit` (bootstrapped like any org, so seq 1 is its real
// `org.bootstrapped` event), extended on first use to --events events whose hashes are computed by
// eventHash() of src/server/audit/chain.ts, exactly as recordAudit() computes them, and inserted
// in batches as the app role in the org's tenant context. Later runs reuse the chain (and extend it
// when asked for more). Events look like the app's: tickets created, replied to, noted, updated.
//
// Usage: node scripts/run.mjs bench/audit-verify
//   [--events 1000000] [--runs 3] [--parts N] [--no-profile] [--json]
// Timed: verifyChainParallel() (what npm run audit:verify runs: --parts ranges in worker threads,
// default the machine's cores), and one single walk (verifyChain(), what GET /audit/verify runs)
// for comparison. The first run is reported apart (cold caches); events/s is the median of the others.
// When it misses the bar, one more run is CPU-profiled in this process and summarized.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import inspector from "node:inspector";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import pg from "pg";
import { sql } from "drizzle-orm";
import { boot } from "../lib/boot";
import { closeDb } from "../../src/server/db/client";
import { OWNER_TENANT_SQL, unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { eventHash } from "../../src/server/audit/chain";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { verifyChainParallel } from "../../src/server/audit/verify-parallel";
import { requireDatabaseUrl } from "./lib/db";
import { prng, pick, subjectPool } from "./lib/corpus";
import { BARS } from "./lib/bars";
import { loadAvg, median } from "./lib/stats";
import { summarizeProfile, type CpuProfile, type ProfileSummary } from "./lib/cpu-profile";

const SLUG = "bench-audit";

export type AuditVerifyReport = {
  org: string;
  events: number;
  generated: { events: number; seconds: number } | null;
  cold: { seconds: number; eventsPerSec: number };
  runs: { seconds: number; eventsPerSec: number }[];
  eventsPerSec: number;
  parts: number;
  single: { seconds: number; eventsPerSec: number };
  valid: boolean;
  load: { before: string; after: string };
  profile: (ProfileSummary & { file: string }) | null;
};

let args: { events: number; runs: number; parts: number | undefined; profile: boolean; json: boolean };
try {
  const { values } = parseArgs({
    options: {
      events: { type: "string", default: "1000000" },
      runs: { type: "string", default: "3" },
      parts: { type: "string" },
      "no-profile": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const events = Number(values.events);
  const runs = Number(values.runs);
  if (!(Number.isInteger(events) && events >= 2 && events <= 50_000_000))
    throw new Error("--events must be an integer from 2 to 50,000,000");
  if (!(Number.isInteger(runs) && runs >= 2 && runs <= 20)) throw new Error("--runs must be an integer from 2 to 20");
  const parts = values.parts === undefined ? undefined : Number(values.parts);
  if (parts !== undefined && !(Number.isInteger(parts) && parts >= 1 && parts <= 64))
    throw new Error("--parts must be an integer from 1 to 64");
  args = { events, runs, parts, profile: !values["no-profile"], json: values.json! };
} catch (err) {
  console.error(
    `${err instanceof Error ? err.message : String(err)}\nSee the usage at the top of scripts/bench/audit-verify.ts.`,
  );
  process.exit(2);
}

const url = requireDatabaseUrl("bench");
setProcessEnv({ LOG_LEVEL: "silent" });
const booted = await boot({ quiet: true });
const say = (line: string) => console.log(line);
let code = 0;
try {
  const loadBefore = loadAvg();
  const orgId = await ensureOrg();
  const generated = await extendChain(orgId, args.events);

  let parts = 1;
  const timed = async (fn: () => Promise<{ valid: boolean; checked: number; firstBrokenSeq: number | null }>) => {
    const t = performance.now();
    const r = await fn();
    const seconds = (performance.now() - t) / 1000;
    return { r, seconds: Math.round(seconds * 1000) / 1000, eventsPerSec: Math.round(r.checked / seconds) };
  };
  const verify = () =>
    timed(async () => {
      const r = await verifyChainParallel(orgId, { parts: args.parts });
      parts = r.ranges;
      return r;
    });
  const cold = await verify();
  say(
    `verify (first run): ${cold.r.checked} events in ${cold.seconds} s = ${cold.eventsPerSec} events/s, valid=${cold.r.valid}`,
  );
  const runs: { seconds: number; eventsPerSec: number }[] = [];
  let valid = cold.r.valid && cold.r.checked >= args.events;
  for (let i = 1; i < args.runs; i++) {
    const v = await verify();
    valid &&= v.r.valid;
    runs.push({ seconds: v.seconds, eventsPerSec: v.eventsPerSec });
    say(
      `verify (run ${i + 1}): ${v.r.checked} events in ${v.seconds} s = ${v.eventsPerSec} events/s, valid=${v.r.valid}`,
    );
  }
  const eventsPerSec = median(runs.map((r) => r.eventsPerSec));
  const single = await timed(() => withTenant(orgId, (tx) => verifyChain(tx, orgId)));
  valid &&= single.r.valid;
  say(
    `single walk (verifyChain, for comparison): ${single.r.checked} events in ${single.seconds} s = ${single.eventsPerSec} events/s`,
  );
  let profile: AuditVerifyReport["profile"] = null;
  if (args.profile && eventsPerSec < BARS.auditEventsPerSec) {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "beacon-bench-audit-")), "verify.cpuprofile");
    const p = await profiled(() => verify());
    fs.writeFileSync(file, JSON.stringify(p));
    profile = { ...summarizeProfile(p), file };
    say(
      `profile (${file}): busy ${profile.busyPct} %; ${profile.areas
        .slice(0, 6)
        .map((a) => `${a.area} ${a.pct} %`)
        .join(", ")}`,
    );
  }
  const report: AuditVerifyReport = {
    org: SLUG,
    events: cold.r.checked,
    generated,
    cold: { seconds: cold.seconds, eventsPerSec: cold.eventsPerSec },
    runs,
    eventsPerSec,
    parts,
    single: { seconds: single.seconds, eventsPerSec: single.eventsPerSec },
    valid,
    load: { before: loadBefore, after: loadAvg() },
    profile,
  };
  if (args.json) console.log(JSON.stringify(report));
  else
    say(
      `audit verify: ${eventsPerSec} events/s in ${parts} parallel ranges (median of ${runs.length} warm runs over ${cold.r.checked} events); single walk ${single.eventsPerSec} events/s`,
    );
} catch (err) {
  code = 1;
  console.error(`audit-verify failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);

async function ensureOrg(): Promise<string> {
  const found = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string }>(sql`select id from orgs where slug = ${SLUG}`),
  );
  if (found.rows[0]) return found.rows[0].id;
  const b = await bootstrapOrg({
    name: "Bench audit chain",
    adminEmail: `admin@${SLUG}.test`,
    slug: SLUG,
    timezone: "UTC",
  });
  say(`Created the org ${SLUG} for the audit chain.`);
  return b.org.id;
}

/** Appends events until the chain holds `target`, hashing each as recordAudit() does. */
async function extendChain(orgId: string, target: number): Promise<{ events: number; seconds: number } | null> {
  const client = new pg.Client({ connectionString: url, application_name: "beacon-bench-audit" });
  await client.connect();
  try {
    const tenant = OWNER_TENANT_SQL;
    await client.query("begin");
    await client.query(tenant, [orgId]);
    // (Ordered by the column, not by the text alias: "999999" sorts after "1000000".)
    const last = (
      await client.query<{ seq: string; hash: string; at: string }>(
        `select seq::text as seq, hash, to_char(at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as at
       from audit_events where org_id = $1 order by audit_events.seq desc limit 1`,
        [orgId],
      )
    ).rows[0];
    await client.query("commit");
    if (!last) throw new Error(`the org ${SLUG} has no audit events: it should start with org.bootstrapped`);
    let seq = Number(last.seq);
    if (seq >= target) {
      say(`Audit chain of ${SLUG}: ${seq} events (reused).`);
      return null;
    }
    const started = performance.now();
    const todo = target - seq;
    say(`Extending the audit chain of ${SLUG} from ${seq} to ${target} events…`);
    let prev = last.hash;
    const base = new Date(last.at).getTime();
    const rnd = prng(`audit:${orgId}:${seq}`);
    const subj = subjectPool("audit", 500);
    const subjects = Array.from({ length: subj.count }, (_, i) =>
      subj.buf
        .subarray(i * subj.width, (i + 1) * subj.width)
        .toString("ascii")
        .trimEnd(),
    );
    const actors = Array.from({ length: 40 }, () => randomUUID());
    const tickets: string[] = [];
    const statuses = ["new", "open", "pending", "on_hold", "solved", "closed"];
    const BATCH = 10_000;
    while (seq < target) {
      const n = Math.min(BATCH, target - seq);
      const cols = {
        seq: [] as string[],
        actor: [] as string[],
        action: [] as string[],
        entityId: [] as string[],
        data: [] as string[],
        req: [] as string[],
        prev: [] as string[],
        hash: [] as string[],
        at: [] as string[],
      };
      for (let i = 0; i < n; i++) {
        seq++;
        const k = rnd();
        let action: string;
        let data: Record<string, unknown>;
        let ticket: string;
        if (k < 0.35 || tickets.length === 0) {
          ticket = randomUUID();
          tickets.push(ticket);
          if (tickets.length > 5_000) tickets.shift();
          action = "ticket.created";
          data = {
            number: seq,
            subject: pick(rnd, subjects),
            priority: pick(rnd, ["low", "normal", "normal", "high", "urgent"]),
            requesterId: pick(rnd, actors),
            tags: rnd() < 0.5 ? [] : ["billing", "printer"].slice(0, 1 + Math.floor(rnd() * 2)),
            commentId: randomUUID(),
          };
        } else if (k < 0.8) {
          ticket = pick(rnd, tickets);
          const internal = rnd() < 0.2;
          action = internal ? "ticket.note_added" : "ticket.replied";
          data = { commentId: randomUUID(), internal, ...(rnd() < 0.3 ? { status: { from: "new", to: "open" } } : {}) };
        } else {
          ticket = pick(rnd, tickets);
          action = "ticket.updated";
          data = {
            changes: {
              status: { from: pick(rnd, statuses), to: pick(rnd, statuses) },
              ...(rnd() < 0.4 ? { assigneeId: { from: null, to: pick(rnd, actors) } } : {}),
            },
          };
        }
        const at = new Date(base + Math.floor((seq - Number(last.seq)) / 50)); // ~50 events per millisecond
        const event = {
          orgId,
          seq,
          actorId: pick(rnd, actors),
          action,
          entityType: "ticket",
          entityId: ticket,
          data,
          requestId: randomUUID(),
          at,
        };
        const hash = eventHash(prev, event);
        cols.seq.push(String(seq));
        cols.actor.push(event.actorId);
        cols.action.push(action);
        cols.entityId.push(ticket);
        cols.data.push(JSON.stringify(data));
        cols.req.push(event.requestId);
        cols.prev.push(prev);
        cols.hash.push(hash);
        cols.at.push(at.toISOString());
        prev = hash;
      }
      await client.query("begin");
      await client.query(tenant, [orgId]);
      await client.query(
        `insert into audit_events (org_id, seq, actor_id, action, entity_type, entity_id, data, request_id, prev_hash, hash, at)
         select $1::uuid, s, a, act, 'ticket', e, d, r, p, h, t
         from unnest($2::bigint[], $3::uuid[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::text[], $9::text[], $10::timestamptz[])
           as u(s, a, act, e, d, r, p, h, t)`,
        [orgId, cols.seq, cols.actor, cols.action, cols.entityId, cols.data, cols.req, cols.prev, cols.hash, cols.at],
      );
      // The chain's head moves with it (audit_heads, decision 047), so the org's next real event follows these.
      await client.query(
        `insert into audit_heads (org_id, seq, hash, prev_hash) values ($1, $2, $3, $4)
         on conflict (org_id) do update set seq = excluded.seq, hash = excluded.hash, prev_hash = excluded.prev_hash`,
        [orgId, seq, prev, cols.prev[cols.prev.length - 1]],
      );
      await client.query("commit");
      if (seq % 100_000 < BATCH) say(`  ${seq} / ${target}`);
    }
    await client.query("analyze audit_events");
    const seconds = Math.round((performance.now() - started) / 100) / 10;
    say(`Appended ${todo} events in ${seconds} s.`);
    return { events: todo, seconds };
  } finally {
    await client.query("rollback").catch(() => undefined);
    await client.end();
  }
}

/** Runs fn with this process's V8 CPU profiler on. */
async function profiled(fn: () => Promise<unknown>): Promise<CpuProfile> {
  const session = new inspector.Session();
  session.connect();
  const post = <T>(method: string, params: object = {}) =>
    new Promise<T>((resolve, reject) =>
      session.post(method, params, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  await post("Profiler.enable");
  await post("Profiler.setSamplingInterval", { interval: 500 });
  await post("Profiler.start");
  try {
    await fn();
    return (await post<{ profile: CpuProfile }>("Profiler.stop")).profile;
  } finally {
    session.disconnect();
  }
}
