// Inbound email speed for npm run bench (issue 12: ≥ 200 messages parsed and applied per second
// on 2 cores; peak RSS while a 20 MiB message is parsed and applied).
//
// Everything goes through the real intake path on real PostgreSQL: storeInbound() of
// src/server/email/store-inbound.ts commits the raw message and its apply job (what the SMTP
// receiver, the IMAP fetcher and the webhook all call), then applyInbound() of apply-inbound.ts
// parses and applies it (what the worker's email-inbound job runs). The messages are the test
// corpus (tests/fixtures/email/*.eml, the shapes Gmail, Outlook and Apple Mail produce), new
// conversations and replies mixed, each with its own Message-ID and a sender from a pool, sent to
// the support address of a dedicated org, `bench-inbound`:
//   seed      untimed: SEED conversations (original.eml) whose Message-IDs the replies answer
//   runs      for each --processes P and --concurrency C: --messages N stored by C callers at once,
//             then applied by P processes with C callers at once each (P = 1, C = 1 is one job at a
//             time; the worker runs INBOUND_APPLY_CONCURRENCY at once, decision 063; P = 2 is two
//             worker processes, `npm run worker` twice, or one per core); store/s, apply/s, and
//             store+apply end to end. The applier processes (P > 1) are forked and booted before
//             the clock starts and take the stored messages from this one as a queue would hand
//             them out. The app's CPU per message (all appliers) and the database's (the backends
//             of this database, read from /proc when PostgreSQL runs on this machine) are reported
//             beside the rate, so a noisy machine's figure can be judged by what each message costs
//   --rss     (a separate process, so its heap holds nothing else) one message of --big-mib MiB
//             with one large attachment, stored then applied, the process's RSS sampled every 5 ms
//             and its maxRSS read after; ATTACHMENT_MAX_BYTES is raised above the attachment so it
//             is stored, not refused (the expensive path)
// The apply jobs storeInbound enqueues (no worker runs against a bench database) and the jobs the
// applied tickets queued are deleted afterwards; the tickets, comments and customers stay in
// bench-inbound (a later run adds to them).
//
// Usage: node scripts/run.mjs bench/inbound [--messages 400] [--concurrency 1,2] [--processes 1] [--json]
//        node scripts/run.mjs bench/inbound --rss [--big-mib 20] [--json]
import { fork, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { boot, migrate } from "../lib/boot";
import { closeDb, db } from "../../src/server/db/client";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { emailAddresses } from "../../src/server/db/schema/email";
import { storeInbound } from "../../src/server/email/store-inbound";
import { applyInbound, type ApplyOutcome } from "../../src/server/intake/apply-inbound";
import { requireDatabaseUrl } from "./lib/db";
import { countStatements } from "./lib/statement-count";
import { loadAvg, median, quantile } from "./lib/stats";

export const INBOUND_SLUG = "bench-inbound";
const SUPPORT = "support@bench-inbound.test";
const FIXTURES = path.resolve(import.meta.dirname, "../../tests/fixtures/email");
/** New conversations: one of these per new message (round robin). */
const NEW = [
  "gmail-new.eml",
  "html-only.eml",
  "forwarded.eml",
  "iso-8859-1.eml",
  "windows-1252.eml",
  "iso-2022-jp.eml",
  "calendar-invite.eml",
  "thirty-recipients.eml",
  "rfc2231-filename.eml",
  "exe-attachment.eml",
  "original.eml",
];
/** Replies (In-Reply-To/References a seeded conversation), sent by that conversation's requester. */
const REPLIES = [
  "gmail-reply-en.eml",
  "gmail-reply-de.eml",
  "gmail-reply-es.eml",
  "gmail-reply-fr.eml",
  "outlook-reply-en.eml",
  "outlook-reply-de.eml",
  "apple-mail-reply.eml",
  "outlook-original-message.eml",
];
const SEED = 40;

export type InboundRun = {
  /** Applier processes (1: this one), each with `concurrency` callers at once. */
  processes: number;
  concurrency: number;
  messages: number;
  newConversations: number;
  replies: number;
  bytes: number;
  store: { seconds: number; perSec: number; p50Ms: number; p95Ms: number };
  apply: { seconds: number; perSec: number; p50Ms: number; p95Ms: number };
  endToEndPerSec: number;
  outcomes: Record<string, number>;
  /** Median apply time per corpus message, slowest first. */
  byFixture: { fixture: string; medianMs: number }[];
  /**
   * Statements and commits sent, the app's CPU milliseconds (this process for the store; all
   * applier processes for the apply) and the database backends' CPU milliseconds (null when
   * PostgreSQL's processes cannot be read from /proc: another machine), per message.
   */
  perMessage: {
    store: { statements: number; commits: number; cpuMs: number; dbCpuMs: number | null };
    apply: { statements: number; commits: number; cpuMs: number; dbCpuMs: number | null };
  };
  load: { before: string; after: string };
};
export type InboundReport = {
  org: string;
  corpus: { newFixtures: number; replyFixtures: number; seeded: number };
  runs: InboundRun[];
};
export type InboundRssReport = {
  messageBytes: number;
  attachmentBytes: number;
  outcome: string;
  attachmentStored: boolean;
  baselineRssMb: number;
  peakRssMb: number;
  maxRssMb: number;
  seconds: number;
  load: { before: string; after: string };
};

let args: {
  messages: number;
  concurrency: number[];
  processes: number[];
  json: boolean;
  rss: boolean;
  bigMib: number;
  applier: boolean;
};
try {
  const { values } = parseArgs({
    options: {
      messages: { type: "string", default: "400" },
      concurrency: { type: "string", default: "1,2" },
      processes: { type: "string", default: "1" },
      // Internal: a forked applier process of a --processes run (it applies what the parent hands it).
      applier: { type: "boolean", default: false },
      rss: { type: "boolean", default: false },
      "big-mib": { type: "string", default: "20" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const messages = Number(values.messages);
  if (!(Number.isInteger(messages) && messages >= 10 && messages <= 100_000))
    throw new Error("--messages must be an integer from 10 to 100,000");
  const concurrency = values.concurrency!.split(",").map(Number);
  if (concurrency.some((c) => !(Number.isInteger(c) && c >= 1 && c <= 16)))
    throw new Error("--concurrency must be a comma list of integers from 1 to 16");
  const processes = values.processes!.split(",").map(Number);
  if (processes.some((c) => !(Number.isInteger(c) && c >= 1 && c <= 8)))
    throw new Error("--processes must be a comma list of integers from 1 to 8");
  const bigMib = Number(values["big-mib"]);
  if (!(bigMib >= 1 && bigMib <= 24))
    throw new Error("--big-mib must be from 1 to 24 (the receiver's limit is 25 MiB)");
  args = { messages, concurrency, processes, json: values.json!, rss: values.rss!, bigMib, applier: values.applier! };
} catch (err) {
  console.error(
    `${err instanceof Error ? err.message : String(err)}\nUsage: DATABASE_URL=postgres://… node scripts/run.mjs bench/inbound [--messages 400] [--concurrency 1,2] [--processes 1] [--json] | --rss [--big-mib 20] [--json]`,
  );
  process.exit(2);
}

requireDatabaseUrl("bench");
// Statements and commits per message: how many round trips it costs.
const counted = countStatements();
// Attachments go to a scratch directory removed at the end; the big message's attachment is accepted.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-bench-inbound-"));
setProcessEnv({
  LOG_LEVEL: "silent",
  BEACON_DATA_DIR: dataDir,
  ...(args.rss ? { ATTACHMENT_MAX_BYTES: String((args.bigMib + 1) * 1024 * 1024) } : {}),
});
const booted = await boot({ quiet: true });
if (!args.applier) await migrate(true);
const say = (line: string) => console.log(line);
const runId = randomBytes(4).toString("hex");
let code = 0;
const since = new Date();
let orgId = "";
// A forked applier of a --processes run: the parent has migrated and seeded.
if (args.applier) await applier();
const dropQueuedJobs = () =>
  db().execute(sql`delete from pgboss.job where created_on >= ${since} and data->>'orgId' = ${orgId}`);
// The runner stops a section that outlives its timeout with SIGTERM: leave no queued jobs behind then either.
let stopping = false;
process.once("SIGTERM", () => {
  // No new message is stored from now; the one being committed gets a moment to finish first.
  stopping = true;
  void sleep(1000)
    .then(() => (orgId ? dropQueuedJobs() : undefined))
    .catch(() => undefined)
    .finally(() => process.exit(143));
});
try {
  orgId = await benchOrg();
  if (args.rss) {
    const r = await rssRun();
    if (args.json) console.log(JSON.stringify(r));
  } else {
    const seeded = await seed();
    const runs: InboundRun[] = [];
    for (const p of args.processes) for (const c of args.concurrency) runs.push(await throughput(p, c, seeded));
    const report: InboundReport = {
      org: INBOUND_SLUG,
      corpus: { newFixtures: NEW.length, replyFixtures: REPLIES.length, seeded: seeded.length },
      runs,
    };
    if (args.json) console.log(JSON.stringify(report));
  }
} catch (err) {
  code = 1;
  console.error(`bench inbound failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  // No worker runs against a bench database: the jobs this run queued (the apply jobs, and the
  // notifications and acknowledgements of the tickets it made) would wait there forever.
  if (orgId) await dropQueuedJobs().catch(() => undefined);
  await closeDb();
  await booted.shutdown();
  fs.rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);

// ───────────────────────────────────────────────────────────────────────────────────────────────

async function benchOrg(): Promise<string> {
  const found = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string }>(sql`select id from orgs where slug = ${INBOUND_SLUG}`),
  );
  const id =
    found.rows[0]?.id ??
    (
      await bootstrapOrg({
        name: "Bench inbound",
        adminEmail: `admin@${INBOUND_SLUG}.test`,
        slug: INBOUND_SLUG,
        timezone: "UTC",
      })
    ).org.id;
  await unsafeWithSystem((tx) =>
    tx
      .insert(emailAddresses)
      .values({ orgId: id, address: SUPPORT, displayName: "Support", isDefault: true })
      .onConflictDoNothing(),
  );
  return id;
}

/** A fixture with its placeholders filled and its From replaced, byte for byte otherwise (charsets other than UTF-8 survive). */
function message(name: string, vars: Record<string, string>, from: string): Buffer {
  let s = fs.readFileSync(path.join(FIXTURES, name)).toString("latin1");
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{{${k}}}`, v);
  if (/\{\{\w+\}\}/.test(s)) throw new Error(`${name} has an unfilled placeholder`);
  const end = s.search(/\r?\n\r?\n/);
  s = s.slice(0, end).replace(/^From:.*(\r?\n[ \t].*)*$/m, `From: ${from}`) + s.slice(end);
  return Buffer.from(s, "latin1");
}

function mid(tag: string, i: number): string {
  return `${tag}-${runId}-${i}@bench-mail.test`;
}
function sender(i: number | string): string {
  return `Customer ${i} <customer${i}@bench-senders.test>`;
}

async function deliver(raw: Buffer): Promise<{ inboundId: string; ms: number }> {
  if (stopping) await new Promise<never>(() => undefined);
  const t = performance.now();
  const r = await storeInbound({ orgId, source: "smtp", raw, mailFrom: null, rcptTo: SUPPORT });
  if (!r.stored) throw new Error("the org's email_inbound switch is off");
  return { inboundId: r.inboundId, ms: performance.now() - t };
}

/** The conversations the replies answer: their Message-IDs and requesters. */
async function seed(): Promise<{ messageId: string; from: string }[]> {
  const out: { messageId: string; from: string }[] = [];
  for (let i = 0; i < SEED; i++) {
    const from = sender(`${runId}-seed-${i}`);
    const messageId = mid("seed", i);
    const { inboundId } = await deliver(message("original.eml", { support: SUPPORT, orig: messageId }, from));
    const r = await applyInbound({ orgId, inboundId });
    if (r.outcome !== "ticket")
      throw new Error(`seed message ${i} was not applied as a new ticket: ${JSON.stringify(r)}`);
    out.push({ messageId, from });
  }
  say(`inbound: ${SEED} conversations seeded in ${INBOUND_SLUG} for the replies to answer`);
  return out;
}

/** Runs fn over items with `c` callers at once; returns each call's latency. */
async function pool<T, R>(items: T[], c: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: c }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

type Applied = { r: ApplyOutcome; ms: number };
type Usage = { statements: number; commits: number; cpuUs: number };
/** Parent → applier: the next message to apply (null: no more); applier → parent: a result, or "ready"/"done". */
type ToApplier =
  | { kind: "start"; concurrency: number }
  | { kind: "next"; seq: number; item: { i: number; inboundId: string } | null }
  | { kind: "exit" };
type FromApplier =
  | { kind: "ready" }
  | { kind: "want"; seq: number }
  | { kind: "applied"; i: number; applied: Applied }
  | { kind: "done"; usage: Usage }
  | { kind: "failed"; error: string };

/**
 * A forked applier (--applier): booted like the parent, it takes messages one at a time from the
 * parent with `concurrency` callers at once, as one worker process's email-inbound queue would,
 * and reports each result, then its statements and CPU. Never returns.
 */
async function applier(): Promise<never> {
  const send = (m: FromApplier) => process.send!(m);
  const waiting = new Map<number, (item: { i: number; inboundId: string } | null) => void>();
  let seq = 0;
  const next = () =>
    new Promise<{ i: number; inboundId: string } | null>((resolve) => {
      const s = seq++;
      waiting.set(s, resolve);
      send({ kind: "want", seq: s });
    });
  // One round per "start" (the untimed warm-up, then the timed run).
  const round = async (c: number) => {
    try {
      const c0 = { ...counted };
      const cpu0 = process.cpuUsage();
      await Promise.all(
        Array.from({ length: c }, async () => {
          for (let item = await next(); item; item = await next()) {
            const t = performance.now();
            const r = await applyInbound({ orgId, inboundId: item.inboundId });
            send({ kind: "applied", i: item.i, applied: { r, ms: performance.now() - t } });
          }
        }),
      );
      const cpu = process.cpuUsage(cpu0);
      send({
        kind: "done",
        usage: {
          statements: counted.statements - c0.statements,
          commits: counted.commits - c0.commits,
          cpuUs: cpu.user + cpu.system,
        },
      });
    } catch (err) {
      send({ kind: "failed", error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    }
  };
  process.on("message", (m: ToApplier) => {
    if (m.kind === "start") void round(m.concurrency);
    else if (m.kind === "next") {
      waiting.get(m.seq)?.(m.item);
      waiting.delete(m.seq);
    } else if (m.kind === "exit") void closeDb().finally(() => process.exit(0));
  });
  orgId = await benchOrg();
  send({ kind: "ready" });
  // Stays (its backends too, so the parent can read their CPU) until the parent says exit.
  return new Promise<never>(() => undefined);
}

/** Forks `n` appliers and waits until each has booted: the clock starts after this. */
async function forkAppliers(n: number): Promise<ChildProcess[]> {
  const children = Array.from({ length: n }, () =>
    fork(path.resolve(import.meta.dirname, "../run.mjs"), ["bench/inbound", "--applier"], {
      env: process.env,
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    }),
  );
  await Promise.all(
    children.map(
      (ch) =>
        new Promise<void>((resolve, reject) => {
          ch.once("exit", (code) => reject(new Error(`an applier process exited with ${code} before it was ready`)));
          ch.on("message", (m: FromApplier) => {
            if (m.kind === "ready") resolve();
          });
        }),
    ),
  );
  return children;
}

/** Hands `items` out to the appliers as they ask, like one queue; resolves with every result and the appliers' usage. */
function applyIn(
  children: ChildProcess[],
  items: { inboundId: string }[],
  c: number,
): Promise<{ applied: Applied[]; usage: Usage }> {
  const applied: Applied[] = new Array(items.length);
  const usage: Usage = { statements: 0, commits: 0, cpuUs: 0 };
  let next = 0;
  let done = 0;
  return new Promise((resolve, reject) => {
    for (const ch of children) {
      ch.removeAllListeners("exit");
      ch.removeAllListeners("message");
      ch.once("exit", (code) => reject(new Error(`an applier process exited with ${code}`)));
      ch.on("message", (m: FromApplier) => {
        if (m.kind === "want") {
          const i = next < items.length ? next++ : -1;
          ch.send({
            kind: "next",
            seq: m.seq,
            item: i >= 0 ? { i, inboundId: items[i]!.inboundId } : null,
          } satisfies ToApplier);
        } else if (m.kind === "applied") applied[m.i] = m.applied;
        else if (m.kind === "failed") reject(new Error(`an applier failed: ${m.error}`));
        else if (m.kind === "done") {
          usage.statements += m.usage.statements;
          usage.commits += m.usage.commits;
          usage.cpuUs += m.usage.cpuUs;
          if (++done === children.length) resolve({ applied, usage });
        }
      });
      ch.send({ kind: "start", concurrency: c } satisfies ToApplier);
    }
  });
}

/**
 * CPU microseconds used so far by the server processes of this database (its backends, as
 * pg_stat_activity lists them; utime + stime from /proc), or null when they cannot be read
 * (PostgreSQL on another machine). A backend that exits between two readings takes its time with
 * it, so the appliers stay connected until the second reading.
 */
async function dbCpuUs(): Promise<Map<number, number> | null> {
  const r = await db().execute<{ pid: number }>(
    sql`select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`,
  );
  const tick = 1e6 / 100; // USER_HZ is 100 on Linux
  const out = new Map<number, number>();
  for (const { pid } of r.rows) {
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    } catch {
      return null;
    }
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 14 and 15 of stat (utime, stime), counted from the state field (3) after the name.
    out.set(pid, (Number(f[11]) + Number(f[12])) * tick);
  }
  return out;
}
function dbCpuBetween(a: Map<number, number> | null, b: Map<number, number> | null): number | null {
  if (!a || !b) return null;
  let us = 0;
  for (const [pid, v] of b) us += v - (a.get(pid) ?? 0);
  return us;
}

async function throughput(p: number, c: number, seeded: { messageId: string; from: string }[]): Promise<InboundRun> {
  // Every third message a reply, the rest new conversations: a support inbox on a normal day.
  const raws: Buffer[] = [];
  const names: string[] = [];
  let replies = 0;
  for (let i = 0; i < args.messages; i++) {
    const m = mid(`p${p}c${c}`, i);
    if (i % 3 === 2) {
      const s = seeded[(i * 7) % seeded.length]!;
      names.push(REPLIES[replies % REPLIES.length]!);
      raws.push(message(names.at(-1)!, { support: SUPPORT, mid: m, orig: s.messageId }, s.from));
      replies++;
    } else {
      const name = NEW[(i - replies) % NEW.length]!;
      names.push(name);
      // Each new conversation from a sender of its own, new to the org (as most are): the hourly
      // cap of 20 per sender never answers, however many runs an hour makes.
      raws.push(message(name, { support: SUPPORT, mid: m, orig: m }, sender(`${runId}-p${p}c${c}-${i - replies}`)));
    }
  }
  const bytes = raws.reduce((n, r) => n + r.length, 0);
  const children = p > 1 ? await forkAppliers(p) : [];
  try {
    // Untimed: each applier first applies every kind of message of the corpus once, so the modules
    // loaded on first use (turndown, the Markdown pipeline, iconv tables) and the JIT's warm-up are
    // not counted (a worker runs for days). Replies answer the seeded conversations.
    const warm: Buffer[] = [];
    for (let k = 0; k < Math.max(1, p); k++)
      [...NEW, ...REPLIES].forEach((name, j) => {
        const m = mid(`warm-p${p}c${c}-${k}`, j);
        const s = seeded[j % seeded.length]!;
        const reply = REPLIES.includes(name);
        const vars = { support: SUPPORT, mid: m, orig: reply ? s.messageId : m };
        warm.push(
          message(name, vars, reply ? s.from : `Warm ${j} <warm-${runId}-${p}-${c}-${k}-${j}@bench-senders.test>`),
        );
      });
    const warmStored = await pool(warm, c, deliver);
    if (children.length) await applyIn(children, warmStored, 1);
    else await pool(warmStored, c, (s) => applyInbound({ orgId, inboundId: s.inboundId }));
    const before = loadAvg();
    const c0 = { ...counted };
    const cpu0 = process.cpuUsage();
    const db0 = await dbCpuUs();
    const t0 = performance.now();
    const stored = await pool(raws, c, deliver);
    const t1 = performance.now();
    const c1 = { ...counted };
    const cpu1 = process.cpuUsage();
    const db1 = await dbCpuUs();
    const t1b = performance.now();
    let applied: Applied[];
    let applyUsage: Usage;
    if (children.length) {
      ({ applied, usage: applyUsage } = await applyIn(children, stored, c));
    } else {
      applied = await pool(stored, c, async (s) => {
        const t = performance.now();
        const r: ApplyOutcome = await applyInbound({ orgId, inboundId: s.inboundId });
        return { r, ms: performance.now() - t };
      });
      const cpu = process.cpuUsage(cpu1);
      applyUsage = {
        statements: counted.statements - c1.statements,
        commits: counted.commits - c1.commits,
        cpuUs: cpu.user + cpu.system,
      };
    }
    const t2 = performance.now();
    const db2 = await dbCpuUs();
    const per1 = (us: number | null) => (us === null ? null : Math.round(us / 100 / raws.length) / 10);
    const per = (statements: number, commits: number) => ({
      statements: Math.round((statements / raws.length) * 10) / 10,
      commits: Math.round((commits / raws.length) * 10) / 10,
    });
    const outcomes: Record<string, number> = {};
    for (const a of applied) outcomes[a.r.outcome] = (outcomes[a.r.outcome] ?? 0) + 1;
    const byName = new Map<string, number[]>();
    applied.forEach((a, i) => byName.set(names[i]!, [...(byName.get(names[i]!) ?? []), a.ms]));
    const slowest = [...byName]
      .map(([name, xs]) => ({ fixture: name, medianMs: Math.round(median(xs) * 10) / 10 }))
      .sort((a, b) => b.medianMs - a.medianMs);
    const storeMs = stored.map((s) => s.ms).sort((a, b) => a - b);
    const applyMs = applied.map((a) => a.ms).sort((a, b) => a - b);
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const applySeconds = (t2 - t1b) / 1000;
    const run: InboundRun = {
      processes: p,
      concurrency: c,
      messages: raws.length,
      newConversations: raws.length - replies,
      replies,
      bytes,
      store: {
        seconds: Math.round(t1 - t0) / 1000,
        perSec: Math.round((raws.length * 1000) / (t1 - t0)),
        p50Ms: r1(quantile(storeMs, 0.5)),
        p95Ms: r1(quantile(storeMs, 0.95)),
      },
      apply: {
        seconds: Math.round(applySeconds * 1000) / 1000,
        perSec: Math.round(raws.length / applySeconds),
        p50Ms: r1(quantile(applyMs, 0.5)),
        p95Ms: r1(quantile(applyMs, 0.95)),
      },
      endToEndPerSec: Math.round(raws.length / ((t1 - t0) / 1000 + applySeconds)),
      outcomes,
      byFixture: slowest,
      perMessage: {
        store: {
          ...per(c1.statements - c0.statements, c1.commits - c0.commits),
          cpuMs: per1(cpu1.user - cpu0.user + cpu1.system - cpu0.system)!,
          dbCpuMs: per1(dbCpuBetween(db0, db1)),
        },
        apply: {
          ...per(applyUsage.statements, applyUsage.commits),
          cpuMs: per1(applyUsage.cpuUs)!,
          dbCpuMs: per1(dbCpuBetween(db1, db2)),
        },
      },
      load: { before, after: loadAvg() },
    };
    const m = run.perMessage;
    const dbMs = (x: number | null) => (x === null ? "" : `, database ${x} ms`);
    say(
      `inbound, ${p > 1 ? `${p} processes × ` : ""}${c} at once: ${run.messages} messages (${run.newConversations} new, ${run.replies} replies, ${(bytes / 1024).toFixed(0)} kB): ` +
        `stored ${run.store.perSec}/s (p95 ${run.store.p95Ms} ms), parsed and applied ${run.apply.perSec}/s (p95 ${run.apply.p95Ms} ms), end to end ${run.endToEndPerSec}/s; per message: store ${m.store.statements} statements / ${m.store.commits} commits, apply ${m.apply.statements} / ${m.apply.commits}; ` +
        `CPU per message: store app ${m.store.cpuMs} ms${dbMs(m.store.dbCpuMs)}; apply app ${m.apply.cpuMs} ms${dbMs(m.apply.dbCpuMs)}; ` +
        `outcomes ${Object.entries(outcomes)
          .map(([k, n]) => `${k} ${n}`)
          .join(", ")}; slowest ${slowest
          .slice(0, 3)
          .map((x) => `${x.fixture} ${x.medianMs} ms`)
          .join(", ")}; load ${run.load.before} → ${run.load.after}`,
    );
    return run;
  } finally {
    for (const ch of children) {
      ch.removeAllListeners("exit");
      if (ch.connected) ch.send({ kind: "exit" } satisfies ToApplier);
    }
    await Promise.all(children.map((ch) => (ch.exitCode === null ? new Promise((r) => ch.once("exit", r)) : null)));
  }
}

/** One big message (text + one large attachment), stored then applied, RSS sampled throughout. */
async function rssRun(): Promise<InboundRssReport> {
  // A PDF-typed attachment (sniffed as such and on the allow-list) of random bytes, sized to make the
  // whole message about --big-mib MiB
  const total = args.bigMib * 1024 * 1024;
  // (base64 lines of 76 characters plus CRLF: 4/3 × 78/76 of the bytes), ending in the trailer the
  // inspector looks for in a whole PDF.
  const body = Math.floor(((total - 4096) * 3 * 76) / (4 * 78)) - 64;
  const attachment = Buffer.concat([
    Buffer.from("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "latin1"),
    randomBytes(body),
    Buffer.from("\nstartxref\n0\n%%EOF\n", "latin1"),
  ]);
  // Encoded 57 bytes (one 76-character line) at a time into one buffer: building the message should
  // not itself set the process's maxRSS.
  const lines = Math.ceil(attachment.length / 57);
  const b64 = Buffer.alloc(lines * 78);
  for (let i = 0; i < lines; i++) {
    const n = b64.write(attachment.subarray(i * 57, (i + 1) * 57).toString("base64"), i * 78, "latin1");
    b64.write("\r\n", i * 78 + n, "latin1");
  }
  const b64End = (lines - 1) * 78 + Math.ceil((attachment.length - (lines - 1) * 57) / 3) * 4 + 2;
  const boundary = `bench-${runId}`;
  const head = [
    `From: Big Sender <big-sender@bench-senders.test>`,
    `To: Support <${SUPPORT}>`,
    `Subject: Scanned contract, ${args.bigMib} MiB`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${mid("big", 0)}>`,
    "MIME-Version: 1.0",
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "",
    "Hello, the signed contract is attached (scanned, sorry for the size).",
    "",
    `--${boundary}`,
    'Content-Type: application/pdf; name="contract.pdf"',
    'Content-Disposition: attachment; filename="contract.pdf"',
    "Content-Transfer-Encoding: base64",
    "",
    "",
  ].join("\r\n");
  let raw: Buffer | null = Buffer.concat([
    Buffer.from(head, "latin1"),
    b64.subarray(0, b64End),
    Buffer.from(`--${boundary}--\r\n`, "latin1"),
  ]);
  const messageBytes = raw.length;
  const attachmentBytes = attachment.length;
  // The baseline: this process with the modules loaded and the message in memory, before intake.
  global.gc?.();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 5);
  const before = loadAvg();
  const t = performance.now();
  const stored = await storeInbound({ orgId, source: "smtp", raw, mailFrom: null, rcptTo: SUPPORT });
  raw = null;
  if (!stored.stored) throw new Error("the org's email_inbound switch is off");
  const r = await applyInbound({ orgId, inboundId: stored.inboundId });
  const seconds = Math.round(performance.now() - t) / 1000;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  const files = await unsafeWithSystem((tx) =>
    tx.execute<{ n: number }>(
      sql`select count(*)::int as n from attachments where org_id = ${orgId} and comment_id = ${r.commentId ?? null}::uuid`,
    ),
  );
  const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;
  const report: InboundRssReport = {
    messageBytes,
    attachmentBytes,
    outcome: r.outcome,
    attachmentStored: (files.rows[0]?.n ?? 0) > 0,
    baselineRssMb: mb(baseline),
    peakRssMb: mb(peak),
    maxRssMb: mb(process.resourceUsage().maxRSS * 1024),
    seconds,
    load: { before, after: loadAvg() },
  };
  say(
    `inbound, one ${mb(messageBytes)} MB message (${mb(attachmentBytes)} MB attachment, ${report.attachmentStored ? "stored" : "NOT stored"}): ${r.outcome} in ${seconds} s; ` +
      `RSS ${report.baselineRssMb} MB before, peak ${report.peakRssMb} MB sampled (maxRSS ${report.maxRssMb} MB); load ${before} → ${report.load.after}`,
  );
  return report;
}
