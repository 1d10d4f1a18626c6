// npm run bench:generate -- [--scale 0.01] [--orgs N] [--yes] [--tag bench] [--workers 2] [--keep-indexes] [--skip-checks]
//
// Loads the SPEC §9 benchmark data set into the database of DATABASE_URL: at --scale 1, 1,000 orgs,
// 1,000,000 tickets and 3,000,000 comments (default scale 0.01 for CI smoke runs). Everything is
// generated server-side with INSERT … SELECT over generate_series, in chunks of whole orgs spread
// over a few connections; triggers are skipped (session_replication_role = replica) and the search
// vectors they would maintain are computed set-based in the same statements, exactly as the
// triggers compute them (checked on a sample at the end through the real triggers).
// See docs/decisions/008-ticket-indexes-and-search.md.
import fs from "node:fs";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import type pg from "pg";
import { runMigrations } from "../../src/server/db/migrations";
import { hashPassword } from "../../src/server/auth/password";
import { BUSINESS_HOURS, DEFAULT_SLA_TARGETS } from "../../src/server/provisioning/bootstrap-org";
import { TICKET_PRIORITIES } from "../../src/server/db/schema/enums";
import { FIRST_NAMES, LAST_NAMES, TAGS, TIMEZONES, orgName, pick, prng, sentencePool, subjectPool } from "./lib/corpus";
import { COMMENTS_PER_TICKET, ORGS_AT_SCALE_1, TICKETS_AT_SCALE_1, chunkOrgs, planOrgs, type Chunk } from "./lib/plan";
import { connect, describeUrl, fmtBytes, fmtInt, fmtMs, requireDatabaseUrl, runQueue } from "./lib/db";
import * as Q from "./lib/sql";

const USAGE = `Usage: DATABASE_URL=postgres://… npm run bench:generate -- [options]
  --scale S        1 = 1,000 orgs / 1,000,000 tickets / 3,000,000 comments (default 0.01)
  --orgs N         number of orgs (default 1,000 × scale, at least 1)
  --yes            load even though the database already holds more than the demo's 2 orgs
  --tag T          slug prefix of the generated orgs (default "bench": bench-0001 is the largest)
  --password P     password of every generated user (default "beacon-bench-password")
  --workers N      parallel connections (default 2)
  --keep-indexes   do not drop and rebuild the ticket and comment indexes around the load
  --skip-checks    skip the integrity and search-vector checks at the end`;

let args: {
  scale: number;
  orgs?: number;
  yes: boolean;
  tag: string;
  password: string;
  workers: number;
  keepIndexes: boolean;
  skipChecks: boolean;
};
try {
  const { values } = parseArgs({
    options: {
      scale: { type: "string", default: "0.01" },
      orgs: { type: "string" },
      yes: { type: "boolean", default: false },
      tag: { type: "string", default: "bench" },
      password: { type: "string", default: "beacon-bench-password" },
      workers: { type: "string", default: "2" },
      "keep-indexes": { type: "boolean", default: false },
      "skip-checks": { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const scale = Number(values.scale);
  const orgs = values.orgs === undefined ? undefined : Number(values.orgs);
  const workers = Number(values.workers);
  if (!(scale > 0 && scale <= 10)) throw new Error("--scale must be a number in (0, 10]");
  if (orgs !== undefined && !(Number.isInteger(orgs) && orgs >= 1))
    throw new Error("--orgs must be a positive integer");
  if (!(Number.isInteger(workers) && workers >= 1 && workers <= 16))
    throw new Error("--workers must be an integer from 1 to 16");
  if (!/^[a-z0-9][a-z0-9-]{0,20}$/.test(values.tag!))
    throw new Error("--tag must be 1–21 lowercase letters, digits or dashes");
  if (values.password!.length < 12) throw new Error("--password must be at least 12 characters (the app's minimum)");
  args = {
    scale,
    orgs,
    yes: values.yes!,
    tag: values.tag!,
    password: values.password!,
    workers,
    keepIndexes: values["keep-indexes"]!,
    skipChecks: values["skip-checks"]!,
  };
} catch (err) {
  console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
  process.exit(2);
}

const url = requireDatabaseUrl("bench:generate");
const started = Date.now();
const phases: { phase: string; ms: number }[] = [];
async function phase<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const t0 = Date.now();
  const out = await fn();
  phases.push({ phase: name, ms: Date.now() - t0 });
  return out;
}

type SavedIndex = { name: string; table: string; def: string };
const savedIndexFile = path.resolve(process.env.BEACON_DATA_DIR ?? ".data", "bench-dropped-indexes.json");

const main = await connect(url, "beacon-bench-generate");
const workers: pg.Client[] = [];
let droppedIndexes: SavedIndex[] = [];
let code = 0;
try {
  await preflight(main);
  const totalTickets = Math.round(TICKETS_AT_SCALE_1 * args.scale);
  const orgCount = args.orgs ?? Math.max(1, Math.round(ORGS_AT_SCALE_1 * args.scale));
  const plan = planOrgs(orgCount, totalTickets);
  const totalComments = totalTickets * COMMENTS_PER_TICKET;
  const sorted = plan.map((o) => o.tickets).sort((a, b) => a - b);
  console.log(
    `Plan: ${fmtInt(orgCount)} orgs, ${fmtInt(totalTickets)} tickets, ${fmtInt(totalComments)} comments, ` +
      `${fmtInt(plan.reduce((a, o) => a + o.agents + o.customers + 1, 0))} users. Tickets per org: largest ${fmtInt(sorted.at(-1)!)}, ` +
      `median ${fmtInt(sorted[Math.floor(sorted.length / 2)]!)}, smallest ${fmtInt(sorted[0]!)}. About ${fmtBytes(4.5e9 * args.scale)} of tables and indexes (plus WAL while loading).`,
  );

  const passwordHash = await phase("hash password", () => hashPassword(args.password));
  const now = new Date();
  const rnd = prng(`orgs:${args.tag}`);
  const orgs = plan.map((o) => ({
    ...o,
    id: randomUUID(),
    name: orgName(rnd, o.rank),
    slug: `${args.tag}-${String(o.rank).padStart(4, "0")}`,
    timezone: pick(rnd, TIMEZONES),
  }));
  const orgIds = orgs.map((o) => o.id);
  const { sentences, subjects } = await phase("text pools", async () => ({
    sentences: sentencePool(args.tag, 27_000, 3_000),
    subjects: subjectPool(args.tag, 20_000),
  }));

  await main.query("SET session_replication_role = replica");
  await main.query("SET synchronous_commit = off");
  await phase("orgs, users, SLA policies", async () => {
    await main.query(Q.STAGE_SQL);
    await main.query("BEGIN");
    const created = new Date(now.getTime() - 200 * 86_400_000);
    await main.query(Q.INSERT_ORGS, [
      orgIds,
      orgs.map((o) => o.name),
      orgs.map((o) => o.slug),
      orgs.map((o) => o.timezone),
      orgs.map((o) => o.tickets),
      orgs.map(() => created),
    ]);
    await main.query(Q.INSERT_USERS, [
      orgIds,
      orgs.map((o) => o.slug),
      orgs.map((o) => o.agents),
      orgs.map((o) => o.customers),
      orgs.map(() => created),
      FIRST_NAMES,
      LAST_NAMES,
      passwordHash,
    ]);
    await main.query(Q.INSERT_CALENDARS, [orgIds, orgs.map((o) => o.timezone), JSON.stringify(BUSINESS_HOURS)]);
    const targets = TICKET_PRIORITIES.map((p) => DEFAULT_SLA_TARGETS.find((t) => t.priority === p)!);
    await main.query(Q.INSERT_POLICIES, [
      orgIds,
      TICKET_PRIORITIES,
      targets.map((t) => t.firstResponseMinutes),
      targets.map((t) => t.resolveMinutes),
      targets.map((t) => t.businessHours),
    ]);
    await main.query(Q.INSERT_FIELDS, [orgIds]);
    await main.query("COMMIT");
  });
  console.log(
    `Loaded ${fmtInt(orgs.length)} orgs, their users, calendars, SLA policies and custom field (${fmtMs(phases.at(-1)!.ms)}).`,
  );

  if (!args.keepIndexes) droppedIndexes = await phase("drop secondary indexes", () => dropIndexes(main));

  for (let i = 0; i < args.workers; i++) {
    const c = await connect(url, `beacon-bench-generate-${i + 1}`);
    // Superuser-only: replica mode skips triggers (search vectors, foreign key checks) for the load.
    await c.query("SET session_replication_role = replica");
    await c.query("SET synchronous_commit = off");
    await c.query("SET jit = off");
    await c.query("SET work_mem = '64MB'");
    await c.query("SET maintenance_work_mem = '1GB'");
    workers.push(c);
  }

  const target = Math.max(500, Math.min(25_000, Math.ceil(totalTickets / (args.workers * 4))));
  const chunks = chunkOrgs(orgs, target);
  const idOf = new Map(orgs.map((o) => [o.rank, o.id]));
  const frm = TICKET_PRIORITIES.map((p) => DEFAULT_SLA_TARGETS.find((t) => t.priority === p)!.firstResponseMinutes);
  const rm = TICKET_PRIORITIES.map((p) => DEFAULT_SLA_TARGETS.find((t) => t.priority === p)!.resolveMinutes);
  let doneTickets = 0;
  let doneComments = 0;
  let doneChunks = 0;
  const loadStart = Date.now();
  console.log(`Loading tickets and comments in ${chunks.length} chunks on ${args.workers} connections…`);
  await phase("tickets + comments", () =>
    runQueue(workers, chunks, async (c, chunk: Chunk) => {
      const t0 = Date.now();
      const comments = chunk.tickets * COMMENTS_PER_TICKET;
      await c.query("BEGIN");
      await c.query(Q.CREATE_CHUNK, [
        chunk.orgs.map((o) => idOf.get(o.rank)!),
        chunk.orgs.map((o) => o.tickets),
        chunk.orgs.map((o) => o.agents),
        chunk.orgs.map((o) => o.customers),
        now,
        subjects.buf,
        subjects.count,
        subjects.width,
        TAGS,
        frm,
        rm,
        comments - chunk.tickets,
      ]);
      await c.query("ANALYZE bench_chunk");
      const r = await c.query(Q.INSERT_CHUNK, [
        sentences.buf,
        sentences.publicCount,
        sentences.width,
        sentences.noteCount,
        now,
      ]);
      await c.query("COMMIT");
      if (r.rowCount !== chunk.tickets)
        throw new Error(`chunk inserted ${r.rowCount} tickets, expected ${chunk.tickets}`);
      doneTickets += chunk.tickets;
      doneComments += comments;
      doneChunks++;
      const elapsed = Date.now() - loadStart;
      const eta = (elapsed / doneTickets) * (totalTickets - doneTickets);
      console.log(
        `  chunk ${String(doneChunks).padStart(String(chunks.length).length)}/${chunks.length}: ${chunk.orgs.length} org(s), ` +
          `${fmtInt(chunk.tickets)} tickets + ${fmtInt(comments)} comments in ${fmtMs(Date.now() - t0)} | ` +
          `${((100 * doneTickets) / totalTickets).toFixed(1)} %, ${fmtInt((doneTickets * 1000) / elapsed)} tickets/s, ` +
          `${fmtInt((doneComments * 1000) / elapsed)} comments/s, ETA ${fmtMs(eta)}`,
      );
    }),
  );
  const loadMs = phases.at(-1)!.ms;

  if (droppedIndexes.length > 0) {
    console.log(`Rebuilding ${droppedIndexes.length} indexes…`);
    await phase("rebuild indexes", () => restoreIndexes(workers, droppedIndexes));
    droppedIndexes = [];
  }

  console.log("VACUUM (ANALYZE): visibility map and planner statistics, as autovacuum would leave them…");
  await phase("vacuum analyze", async () => {
    await runQueue(workers, ["comments", "tickets", "users", "orgs", "sla_policies", "calendars"], async (c, table) => {
      await c.query(`VACUUM (ANALYZE) ${table}`);
    });
  });
  await main.query(Q.DROP_STAGE_SQL);

  if (!args.skipChecks) await phase("checks", () => checks(main, orgs));

  const totalMs = Date.now() - started;
  const sizes = await main.query<{ table: string; total: string; heap: string; indexes: string; rows: string }>(
    Q.TABLE_SIZES,
  );
  const stats = await main.query(Q.STATS, [orgIds]);
  console.log("\nDistributions:");
  for (const [k, v] of Object.entries(stats.rows[0] as Record<string, unknown>))
    console.log(`  ${k}: ${JSON.stringify(v)}`);
  console.log("\nTable sizes (whole database):");
  for (const s of sizes.rows) {
    console.log(
      `  ${s.table.padEnd(13)} ${fmtBytes(Number(s.total)).padStart(9)} total, ${fmtBytes(Number(s.heap)).padStart(9)} heap, ${fmtBytes(Number(s.indexes)).padStart(9)} indexes, ~${fmtInt(Number(s.rows))} rows`,
    );
  }
  console.log("\nTimings:");
  for (const p of phases) console.log(`  ${p.phase.padEnd(28)} ${fmtMs(p.ms)}`);
  console.log(
    `\nDone in ${fmtMs(totalMs)}: ${fmtInt(totalTickets)} tickets and ${fmtInt(totalComments)} comments; ` +
      `load ${fmtInt((totalTickets * 1000) / loadMs)} tickets/s + ${fmtInt((totalComments * 1000) / loadMs)} comments/s, ` +
      `end to end ${fmtInt(((totalTickets + totalComments) * 1000) / totalMs)} rows/s.`,
  );
  console.log(
    `Sign in as admin@${args.tag}-0001.test, agent1@${args.tag}-0001.test or customer1@${args.tag}-0001.test (the largest org) with password "${args.password}".`,
  );
} catch (err) {
  code = 1;
  console.error(`\nbench:generate failed: ${err instanceof Error ? err.message : String(err)}`);
  await main.query("ROLLBACK").catch(() => undefined);
  if (droppedIndexes.length > 0) {
    console.error(`Restoring the ${droppedIndexes.length} dropped indexes…`);
    const c = workers[0] ?? main;
    await c.query("ROLLBACK").catch(() => undefined);
    await restoreIndexes([c], droppedIndexes).catch((e: unknown) =>
      console.error(
        `Could not restore them (${String(e)}); the next run of bench:generate against ${describeUrl(url)} will, from ${savedIndexFile}.`,
      ),
    );
  }
  console.error(
    `Partially loaded orgs have slugs ${args.tag}-NNNN; the simplest clean-up is to drop and re-create the database.`,
  );
} finally {
  for (const c of workers) await c.end().catch(() => undefined);
  await main.end().catch(() => undefined);
}
process.exit(code);

async function preflight(c: pg.Client): Promise<void> {
  const me = await c.query<{ rolsuper: boolean; user: string; version: number }>(
    "select rolsuper, current_user as user, current_setting('server_version_num')::int as version from pg_roles where rolname = current_user",
  );
  const { rolsuper, user, version } = me.rows[0]!;
  if (!rolsuper) {
    console.error(
      `bench:generate must connect as a superuser, and ${user} is not one.\n` +
        "Every tenant table has FORCE ROW LEVEL SECURITY, and the load skips triggers with session_replication_role = replica; " +
        "both need a superuser (a superuser bypasses RLS, and only a superuser may change session_replication_role).\n" +
        "Use the machine's postgres user (DATABASE_URL=postgres://postgres@127.0.0.1:5432/beacon_bench) or the embedded one; " +
        "the app itself keeps running as its ordinary user afterwards.",
    );
    process.exit(1);
  }
  if (version < 150000) console.warn(`Warning: PostgreSQL ${version}; Beacon targets 15.`);
  const t0 = Date.now();
  const status = await runMigrations(c);
  console.log(
    `Database ${describeUrl(url)} as ${user}: migrations ${status.applied.length} applied, ${status.pending.length} pending (${Date.now() - t0} ms).`,
  );
  const n = (
    await c.query<{ n: number; tagged: number }>(
      "select count(*)::int as n, count(*) filter (where slug like $1)::int as tagged from orgs",
      [`${args.tag}-%`],
    )
  ).rows[0]!;
  if (n.tagged > 0) {
    console.error(
      `This database already holds ${n.tagged} orgs with slugs ${args.tag}-NNNN. Use another --tag, or drop and re-create the database.`,
    );
    process.exit(1);
  }
  if (n.n > 2 && !args.yes) {
    console.error(
      `This database already holds ${n.n} orgs (more than the demo's 2): refusing to add benchmark data to it by accident. ` +
        "Point DATABASE_URL at a dedicated database, or pass --yes.",
    );
    process.exit(1);
  }
  // A previous run that died mid-load may have left indexes dropped: put them back first.
  const pending = readSavedIndexes();
  if (pending.length > 0) {
    console.log(`Restoring ${pending.length} indexes a previous interrupted run dropped (${savedIndexFile})…`);
    await restoreIndexes([c], pending);
  }
}

function readSavedIndexes(): SavedIndex[] {
  if (!fs.existsSync(savedIndexFile)) return [];
  const saved = JSON.parse(fs.readFileSync(savedIndexFile, "utf8")) as { database: string; indexes: SavedIndex[] };
  return saved.database === describeUrl(url) ? saved.indexes : [];
}

/**
 * Bulk-building an index after the load is several times faster than maintaining it row by row
 * (GIN especially). The definitions are saved to a file first, so an interrupted run can restore them.
 */
async function dropIndexes(c: pg.Client): Promise<SavedIndex[]> {
  const r = await c.query<SavedIndex>(Q.DROPPABLE_INDEXES);
  if (r.rows.length === 0) return [];
  fs.mkdirSync(path.dirname(savedIndexFile), { recursive: true });
  fs.writeFileSync(savedIndexFile, JSON.stringify({ database: describeUrl(url), indexes: r.rows }, null, 2));
  droppedIndexes = r.rows; // restored by the error path if anything below fails
  for (const ix of r.rows) await c.query(`DROP INDEX IF EXISTS public.${quoteIdent(ix.name)}`);
  console.log(
    `Dropped ${r.rows.length} secondary indexes for the load (rebuilt afterwards): ${r.rows.map((x) => x.name).join(", ")}.`,
  );
  return r.rows;
}

async function restoreIndexes(clients: pg.Client[], indexes: SavedIndex[]): Promise<void> {
  // Biggest first (the GIN indexes over the comment and ticket vectors), so both connections stay busy.
  const rank = (ix: SavedIndex) => (ix.def.includes("USING gin") ? 0 : 1) + (ix.table === "comments" ? 0 : 2);
  const jobs = [...indexes].sort((a, b) => rank(a) - rank(b));
  await runQueue(clients, jobs, async (c, ix) => {
    const t0 = Date.now();
    await c.query(ix.def.replace(/^CREATE (UNIQUE )?INDEX /, "CREATE $1INDEX IF NOT EXISTS "));
    console.log(`  ${ix.name} (${ix.table}) in ${fmtMs(Date.now() - t0)}`);
  });
  fs.rmSync(savedIndexFile, { force: true });
}

function quoteIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

async function checks(c: pg.Client, orgs: { id: string; tickets: number }[]): Promise<void> {
  const t0 = Date.now();
  const expected = orgs.reduce((a, o) => a + o.tickets, 0) * COMMENTS_PER_TICKET;
  const integrity = (await c.query<Record<string, number>>(Q.INTEGRITY, [orgs.map((o) => o.id), expected])).rows[0]!;
  const bad = Object.entries(integrity).filter(([, v]) => v !== 0);
  if (bad.length > 0) throw new Error(`integrity check failed: ${JSON.stringify(integrity)}`);
  console.log(
    `Integrity: every comment has its ticket and author, every ticket its requester, assignee (staff) and SLA policy, ticket_seq = ticket count, ${fmtInt(expected)} comments (${fmtMs(Date.now() - t0)}).`,
  );

  // The search vectors against the real triggers: the largest, a middle and the smallest org, ~300 tickets.
  const bySize = [...orgs].sort((a, b) => b.tickets - a.tickets);
  const sample = [...new Set([bySize[0]!, bySize[Math.floor(bySize.length / 2)]!, bySize.at(-1)!])];
  const every = Math.max(1, Math.floor(sample.reduce((a, o) => a + o.tickets, 0) / 300));
  await c.query("SET session_replication_role = origin");
  await c.query("BEGIN");
  try {
    await c.query(Q.VERIFY_SAMPLE[0]!, [sample.map((o) => o.id), every]);
    for (const q of Q.VERIFY_SAMPLE.slice(1)) await c.query(q);
    const r = (
      await c.query<{ tickets: number; ticket_mismatches: number; comments: number; comment_mismatches: number }>(
        Q.VERIFY_COMPARE,
      )
    ).rows[0]!;
    if (r.ticket_mismatches > 0 || r.comment_mismatches > 0 || r.tickets === 0) {
      throw new Error(`search vectors differ from what the triggers produce: ${JSON.stringify(r)}`);
    }
    console.log(
      `Search vectors: ${r.tickets} tickets and their ${r.comments} comments re-inserted through the triggers (rolled back) match exactly.`,
    );
  } finally {
    await c.query("ROLLBACK");
  }
}
