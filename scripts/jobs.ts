// npm run jobs -- list|show|replay|drop [--queue email] [--id <uuid>] [--org <slug>] [--older-than 2h]
//                  [--limit 100] [--all] [--dry-run] [--json]
// Dead letters (jobs that failed every retry) stay until a person replays or drops them
// (decision 022). Exit codes: 0 done, 1 failure, 2 usage error, 3 nothing matched (show, replay, drop).
import { parseArgs } from "node:util";
import pino from "pino";
import { sql } from "drizzle-orm";
import { boot } from "./lib/boot";
import { closeDb } from "../src/server/db/client";
import { unsafeWithSystem } from "../src/server/db/tenant";
import { loggerOptions, setLogger } from "../src/server/observability/logger";
import {
  DEAD_OF,
  dropDeadLetters,
  listDeadLetters,
  parseAge,
  replayDeadLetters,
  sourceQueue,
  type DeadLetter,
  type DeadLetterFilter,
  type DeadLetterOutcome,
} from "../src/server/jobs/dead-letters";

const USAGE = `Usage: npm run jobs -- <command> [options]
  list      dead letters, newest first
  show      one dead letter with its payload (--id)
  replay    send dead letters again on their original queue, once each
  drop      delete dead letters for good
Options:
  --queue <name>       ${Object.keys(DEAD_OF).join(", ")} (repeatable)
  --id <uuid>          one dead letter
  --org <slug>         one organization's dead letters
  --older-than <age>   dead for at least this long: 90s, 30m, 2h, 7d
  --limit <n>          at most n (default 100)
  --all                replay or drop every dead letter (needed when no other filter is given)
  --dry-run            say what replay or drop would do, change nothing
  --json               JSON instead of a table
Exit codes: 0 done, 1 failure, 2 usage error, 3 nothing matched (show, replay, drop).`;

function usage(problem: string): never {
  console.error(problem);
  console.error(USAGE);
  process.exit(2);
}

let parsed: ReturnType<typeof parse>;
function parse() {
  return parseArgs({
    options: {
      queue: { type: "string", multiple: true },
      id: { type: "string" },
      org: { type: "string" },
      "older-than": { type: "string" },
      limit: { type: "string" },
      all: { type: "boolean", default: false },
      "dry-run": { type: "boolean", default: false },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
    strict: true,
    allowPositionals: true,
  });
}
try {
  parsed = parse();
} catch (err) {
  usage(err instanceof Error ? err.message : String(err));
}
const { values: opts, positionals } = parsed;
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const command = positionals[0];
if (!command || !["list", "show", "replay", "drop"].includes(command) || positionals.length > 1) {
  usage(command ? `Unknown command "${positionals.join(" ")}".` : "A command is required.");
}
const filter: DeadLetterFilter = {};
for (const q of opts.queue ?? []) {
  if (!sourceQueue(q)) usage(`--queue ${q}: no such queue with dead letters (${Object.keys(DEAD_OF).join(", ")}).`);
}
if (opts.queue?.length) filter.queues = opts.queue;
if (opts.id !== undefined) {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(opts.id))
    usage(`--id ${opts.id}: not a job id (a UUID).`);
  filter.id = opts.id.toLowerCase();
}
if (opts["older-than"] !== undefined) {
  const s = parseAge(opts["older-than"]);
  if (s === undefined)
    usage(`--older-than ${opts["older-than"]}: give a number and a unit, such as 90s, 30m, 2h or 7d.`);
  filter.olderThanSeconds = s;
}
if (opts.limit !== undefined) {
  const n = Number(opts.limit);
  if (!Number.isInteger(n) || n < 1 || n > 10_000) usage(`--limit ${opts.limit}: a whole number from 1 to 10000.`);
  filter.limit = n;
}
if (command === "show" && !filter.id) usage("show needs --id.");
const narrowed = filter.id || filter.queues || opts.org || filter.olderThanSeconds !== undefined;
if ((command === "replay" || command === "drop") && !narrowed && !opts.all) {
  usage(`${command} needs a filter (--id, --queue, --org, --older-than) or --all.`);
}

// Log lines (one per replayed or dropped job) go to stderr, so stdout is only the answer.
setLogger(pino(loggerOptions(), pino.destination(2)));
const booted = await boot({ quiet: true });
let code = 0;

function age(sec: number): string {
  if (sec < 120) return `${sec}s`;
  if (sec < 7200) return `${Math.floor(sec / 60)}m`;
  if (sec < 172_800) return `${Math.floor(sec / 3600)}h`;
  return `${Math.floor(sec / 86_400)}d`;
}

function table(
  rows: (DeadLetter & Partial<Pick<DeadLetterOutcome, "outcome" | "jobId" | "reason">>)[],
  withOutcome: boolean,
): string {
  const head = ["ID", "QUEUE", "ORG", "AGE", ...(withOutcome ? ["OUTCOME"] : []), "ERROR"];
  const body = rows.map((r) => [
    r.id,
    r.queue,
    r.orgId ?? "-",
    age(r.ageSeconds),
    ...(withOutcome ? [r.outcome + (r.jobId ? ` as ${r.jobId}` : "") + (r.reason ? ` (${r.reason})` : "")] : []),
    (r.error ?? "").replace(/\s+/g, " ").slice(0, 80),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  return [head, ...body]
    .map((cols) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]!))).join("  "))
    .join("\n");
}

try {
  if (opts.org !== undefined) {
    const slug = opts.org.trim().toLowerCase();
    const r = await unsafeWithSystem((tx) =>
      tx.execute<{ id: string }>(sql`select id from orgs where lower(slug) = ${slug}`),
    );
    if (!r.rows[0]) {
      console.error(`No organization with the slug "${opts.org}".`);
      code = 2;
      throw null;
    }
    filter.orgId = r.rows[0].id;
  }
  if (command === "list" || command === "show") {
    const rows = await listDeadLetters(filter);
    if (command === "show") {
      if (!rows[0]) {
        console.error(`No dead letter with id ${filter.id}.`);
        code = 3;
      } else console.log(JSON.stringify(rows[0], null, opts.json ? undefined : 2));
    } else if (opts.json) console.log(JSON.stringify(rows));
    else console.log(rows.length ? `${table(rows, false)}\n${rows.length} dead letter(s)` : "No dead letters.");
  } else {
    const act = command === "replay" ? replayDeadLetters : dropDeadLetters;
    const rows = await act(filter, { kind: "operator" }, { dryRun: opts["dry-run"] });
    const done = rows.filter((r) => r.outcome !== "skipped" && r.outcome !== "failed").length;
    if (opts.json) console.log(JSON.stringify(rows));
    else if (rows.length) {
      console.log(table(rows, true));
      const verb = opts["dry-run"]
        ? `would be ${command === "replay" ? "replayed" : "dropped"} (dry run, nothing changed)`
        : command === "replay"
          ? "replayed"
          : "dropped";
      console.log(
        `${done} dead letter(s) ${verb}${rows.length > done ? `, ${rows.length - done} not (see OUTCOME)` : ""}`,
      );
    } else console.log(`No dead letters matched; nothing ${command === "replay" ? "replayed" : "dropped"}.`);
    if (rows.length === 0) code = 3;
    else if (done < rows.length) code = 1;
  }
} catch (err) {
  if (err !== null) {
    console.error(`jobs ${command}: ${err instanceof Error ? err.message : String(err)}`);
    code = 1;
  }
} finally {
  await closeDb().catch(() => undefined);
  await booted.shutdown().catch(() => undefined);
}
process.exit(code);
