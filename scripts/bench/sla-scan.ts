// npm run bench:sla-scan -- [--due minute,100,1000,10000] [--idle-passes 5] [--repeat 3] [--json]
//
// Times SLA scan passes (unsafeScanSlas, the real job) on the database of DATABASE_URL, to show
// that a pass costs what is DUE, not what is stored (SPEC §9: ≤ 100 ms per pass over all open
// tickets). Run it on databases of different sizes (npm run bench does: 10k, 100k and 1M tickets)
// and compare:
//   catch-up pass   whatever came due since the data was loaded or last scanned (real work: its
//                   events stay, as the worker's would; the notification jobs it queued are
//                   deleted, since no worker runs against a bench database)
//   idle passes     nothing due: the cost of asking
//   N due           N open tickets, spread over every org, made due now (first response 10 min
//                   late), then one pass, then the next (idle again) pass. `minute` stands for the
//                   number of tickets whose next check falls in the next minute (one minute of
//                   dues: what the every-minute job meets in a steady state). Passes of up to
//                   1,000 due are repeated (--repeat, default 3) and the median kept. Afterwards the tickets
//                   get their SLA columns back and the pass's events and queued jobs are deleted,
//                   so the database is left as it was.
// Needs a superuser (or the tables' owner) connection, like bench:generate: the clean-up deletes
// from sla_events and pgboss.job directly.
import { parseArgs } from "node:util";
import { sql } from "drizzle-orm";
import { boot, migrate } from "../lib/boot";
import { closeDb, db } from "../../src/server/db/client";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { unsafeScanSlas, type ScanResult } from "../../src/server/sla/scan";
import { median } from "./lib/stats";

export type SlaScanReport = {
  stored: { tickets: number; open: number; withNextCheck: number; duePerMinute: number };
  catchUp: Pass;
  idle: { medianMs: number; maxMs: number; passes: number };
  /** ms is the median pass of runsMs. */
  /** minute: this N is one minute of dues; explicit: this N was asked for by number. */
  due: (Pass & { requested: number; nextIdleMs: number; runsMs: number[]; minute: boolean; explicit: boolean })[];
};
type Pass = ScanResult & { ms: number };

let args: { due: (number | "minute")[]; idlePasses: number; repeat: number; json: boolean };
try {
  const { values } = parseArgs({
    options: {
      due: { type: "string", default: "minute,100,1000,10000" },
      "idle-passes": { type: "string", default: "5" },
      repeat: { type: "string", default: "3" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const due = values
    .due!.split(",")
    .filter(Boolean)
    .map((x) => (x === "minute" ? x : Number(x)));
  if (due.some((n) => n !== "minute" && !(Number.isInteger(n) && n >= 1)))
    throw new Error("--due must be a comma list of positive integers or `minute`");
  const idlePasses = Number(values["idle-passes"]);
  if (!(Number.isInteger(idlePasses) && idlePasses >= 1 && idlePasses <= 100))
    throw new Error("--idle-passes must be an integer from 1 to 100");
  const repeat = Number(values.repeat);
  if (!(Number.isInteger(repeat) && repeat >= 1 && repeat <= 20))
    throw new Error("--repeat must be an integer from 1 to 20");
  args = { due, idlePasses, repeat, json: values.json! };
} catch (err) {
  console.error(
    `${err instanceof Error ? err.message : String(err)}\nUsage: DATABASE_URL=postgres://… npm run bench:sla-scan -- [--due minute,100,1000,10000] [--idle-passes 5] [--repeat 3] [--json]`,
  );
  process.exit(2);
}

setProcessEnv({ LOG_LEVEL: "silent" });
const booted = await boot({ quiet: true });
// The scan enqueues notification jobs: pg-boss's schema must exist (a freshly generated database
// has Beacon's migrations only).
await migrate(true);
const say = (line: string) => console.log(line);
let code = 0;
try {
  const s = (
    await unsafeWithSystem((tx) =>
      tx.execute<{ tickets: number; open: number; checks: number; minute: number }>(sql`
    select (select count(*) from tickets)::int as tickets,
           (select count(*) from tickets where status not in ('solved', 'closed'))::int as open,
           count(*)::int as checks,
           count(*) filter (where next_check_at > now() and next_check_at <= now() + interval '1 minute')::int as minute
    from sla_checks`),
    )
  ).rows[0]!;
  say(
    `tickets stored: ${s.tickets} (${s.open} open, ${s.checks} with an SLA check pending, ${s.minute} coming due in the next minute)`,
  );

  const time = async (label: string): Promise<Pass> => {
    const t = performance.now();
    const r = await unsafeScanSlas();
    const ms = Math.round((performance.now() - t) * 10) / 10;
    say(
      `  ${label.padEnd(26)} ${ms.toFixed(1).padStart(8)} ms  (${r.tickets} tickets visited, ${r.warnings} warnings, ${r.breaches} breaches, ${r.batches} batches)`,
    );
    return { ...r, ms };
  };
  const caughtUpSince = new Date();
  const catchUp = await time("catch-up pass");
  const idle: number[] = [];
  for (let i = 0; i < args.idlePasses; i++) idle.push((await time(`idle pass ${i + 1}`)).ms);
  // Their events stay (as the job's would); the notifications they queued are dropped: no worker
  // runs against a bench database, and nobody wants thousands of SLA emails from it later.
  await db().execute(sql`
    delete from pgboss.job where name = 'notify' and state = 'created' and created_on >= ${caughtUpSince}
      and data->>'kind' in ('sla.warning', 'sla.breach')`);

  const due: SlaScanReport["due"] = [];
  const minuteN = Math.max(1, s.minute);
  const counts = [...new Set(args.due.map((n) => (n === "minute" ? minuteN : n)))];
  for (const n of counts) {
    // Small passes are short enough for one noisy moment to decide them: take the median of three.
    const passes: Pass[] = [];
    const nexts: number[] = [];
    for (let rep = 0; rep < (n <= 1000 ? args.repeat : 1); rep++) {
      const picked = await makeDue(n);
      if (picked.length === 0) break;
      const startedAt = new Date();
      try {
        passes.push(await time(`pass with ${picked.length} due`));
        nexts.push((await time("next pass")).ms);
      } finally {
        await restore(picked, startedAt);
      }
    }
    if (passes.length === 0) continue;
    const mid = [...passes].sort((a, b) => a.ms - b.ms)[Math.floor((passes.length - 1) / 2)]!;
    due.push({
      ...mid,
      requested: n,
      nextIdleMs: median(nexts),
      runsMs: passes.map((p) => p.ms),
      minute: n === minuteN && args.due.includes("minute"),
      explicit: args.due.includes(n),
    });
  }
  const report: SlaScanReport = {
    stored: { tickets: s.tickets, open: s.open, withNextCheck: s.checks, duePerMinute: s.minute },
    catchUp,
    idle: { medianMs: median(idle), maxMs: Math.max(...idle), passes: idle.length },
    due,
  };
  if (args.json) console.log(JSON.stringify(report));
} catch (err) {
  code = 1;
  console.error(`bench:sla-scan failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);

type Saved = { org_id: string; id: string; frd: string | null; fra: string | null; next: string | null };

/**
 * Makes up to n open tickets due now. They are taken in id order (random UUIDs: spread over every
 * org); their SLA columns are returned as text, so restore() puts back exactly what was there.
 */
async function makeDue(n: number): Promise<Saved[]> {
  return unsafeWithSystem(async (tx) => {
    const r = await tx.execute<Saved>(sql`
      select t.org_id, t.id, t.first_response_due::text as frd, t.first_response_at::text as fra, c.next_check_at::text as next
      from tickets t left join sla_checks c on c.org_id = t.org_id and c.ticket_id = t.id
      where t.status in ('new', 'open') order by t.id limit ${n}`);
    await tx.execute(sql`
      update tickets t set first_response_due = now() - interval '10 minutes', first_response_at = null
      from unnest(${pgArray(r.rows.map((x) => x.org_id))}::uuid[], ${pgArray(r.rows.map((x) => x.id))}::uuid[]) as s(org_id, id)
      where t.org_id = s.org_id and t.id = s.id`);
    await tx.execute(sql`
      insert into sla_checks (org_id, ticket_id, next_check_at)
      select s.org_id, s.id, now() - interval '1 second'
      from unnest(${pgArray(r.rows.map((x) => x.org_id))}::uuid[], ${pgArray(r.rows.map((x) => x.id))}::uuid[]) as s(org_id, id)
      on conflict (org_id, ticket_id) do update set next_check_at = excluded.next_check_at`);
    return r.rows;
  });
}

async function restore(saved: Saved[], since: Date): Promise<void> {
  const orgIds = pgArray(saved.map((x) => x.org_id));
  const ids = pgArray(saved.map((x) => x.id));
  await unsafeWithSystem((tx) =>
    tx.execute(sql`
      with s as (
        select * from unnest(${orgIds}::uuid[], ${ids}::uuid[], ${pgArray(saved.map((x) => x.frd))}::timestamptz[],
                             ${pgArray(saved.map((x) => x.fra))}::timestamptz[], ${pgArray(saved.map((x) => x.next))}::timestamptz[]) as s(org_id, id, frd, fra, next)),
      gone as (delete from sla_checks c using s where c.org_id = s.org_id and c.ticket_id = s.id and s.next is null),
      back as (insert into sla_checks (org_id, ticket_id, next_check_at) select org_id, id, next from s where next is not null
               on conflict (org_id, ticket_id) do update set next_check_at = excluded.next_check_at)
      update tickets t set first_response_due = s.frd, first_response_at = s.fra
      from s where t.org_id = s.org_id and t.id = s.id`),
  );
  // As the connecting user: the events the passes recorded and the jobs they queued for these tickets.
  await db().execute(sql`
    delete from sla_events e using unnest(${orgIds}::uuid[], ${ids}::uuid[]) as s(org_id, id)
    where e.org_id = s.org_id and e.ticket_id = s.id and e.at >= ${since}`);
  await db().execute(sql`
    delete from pgboss.job where name = 'notify' and state = 'created' and created_on >= ${since}
      and data->>'ticketId' = any(${ids}::text[])`);
}

/** A PostgreSQL array literal of strings or nulls (one parameter, however long the list). */
function pgArray(xs: (string | null)[]): string {
  return `{${xs.map((x) => (x === null ? "NULL" : `"${x.replace(/["\\]/g, "\\$&")}"`)).join(",")}}`;
}
