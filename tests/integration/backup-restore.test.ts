// npm run db:backup / db:restore round trip on real PostgreSQL, the scripts run as child processes
// exactly as an operator runs them: backup → restore into a new database → verified (row counts,
// RLS flags and policies, grants, migrations, audit chains); a tampered copy fails verification; a
// non-empty or live target is refused.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runScript, type ScriptRun } from "../helpers/run-script";
import { verifyAllOrgs } from "../../src/server/audit/verify-all";
import { databaseOf, findPgTool, withDatabase } from "../../scripts/lib/pg-tools";
import type { Manifest } from "../../scripts/lib/db-state";
import { api, newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

const sourceUrl = process.env.DATABASE_URL!;
const restoredDb = `${databaseOf(sourceUrl)}_r`; // beacon_t_<run>_…: the global teardown drops it too
const restoredUrl = withDatabase(sourceUrl, restoredDb);
const TENANT_TABLES = [
  "orgs",
  "users",
  "tickets",
  "comments",
  "sla_policies",
  "sla_events",
  "audit_events",
  "api_tokens",
  "feature_flags",
];

async function query<T extends pg.QueryResultRow>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, values)).rows;
  } finally {
    await c.end();
  }
}

// The client tools must match the server's major version; without them the round trip cannot run.
const major = Math.floor(
  Number((await query<{ n: string }>(sourceUrl, "select current_setting('server_version_num') as n"))[0]!.n) / 10_000,
);
let skipReason: string | null = null;
try {
  for (const tool of ["pg_dump", "pg_restore", "psql"] as const) findPgTool(tool, major);
} catch (err) {
  skipReason = (err as Error).message;
}
if (skipReason)
  console.log(`SKIPPED backup-restore round trip: no matching client tools on this machine. ${skipReason}`);

function run(
  script: "backup" | "restore" | "audit-verify" | "migrate",
  args: string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  return runScript(`${script}.ts`, args, { env: { DATABASE_URL: sourceUrl, ...env } });
}

/** Row counts of the tenant tables, read as beacon_system (which the RLS policies let see every org). */
async function tenantCounts(url: string): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("begin");
    await c.query("select set_config('role', 'beacon_system', true)");
    const out: Record<string, number> = {};
    for (const t of TENANT_TABLES)
      out[t] = Number((await c.query<{ n: string }>(`select count(*)::text as n from ${t}`)).rows[0]!.n);
    await c.query("rollback");
    return out;
  } finally {
    await c.end();
  }
}

const rlsFlags = (url: string) =>
  query<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean }>(
    url,
    `select relname, relrowsecurity, relforcerowsecurity from pg_class where relnamespace = 'public'::regnamespace and relname = any($1) order by relname`,
    [TENANT_TABLES],
  );
const policies = (url: string) =>
  query(
    url,
    `select tablename, policyname, cmd, roles::text, qual, with_check from pg_policies order by tablename, policyname`,
  );

let w: World, other: World;
let before: Record<string, number>;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-backup-test-"));
const dump = path.join(tmp, "round-trip.dump");

beforeAll(async () => {
  if (skipReason) return;
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  for (const world of [w, other]) {
    const a = await newTicket(world.customer, { subject: "Printer on fire" });
    const b = await newTicket(world.agent, {
      requesterId: world.customer.id,
      subject: "Coffee machine",
      priority: "high",
    });
    await api.addComment(world.agent, a.id, { body: "Looking into it" });
    await api.addComment(world.agent, a.id, { body: "internal: extinguisher?", internal: true });
    await api.addComment(world.customer, b.id, { body: "Still broken" });
    await api.patchTicket(world.agent, a.id, { status: "solved", tags: ["fire"] });
  }
  before = await tenantCounts(sourceUrl);
});

afterAll(async () => {
  fs.rmSync(tmp, { recursive: true, force: true });
  if (!skipReason) await query(sourceUrl, `drop database if exists ${restoredDb} with (force)`).catch(() => undefined);
});

describe.skipIf(!!skipReason)("db:backup and db:restore", () => {
  it("backs up into a 0600 custom-format dump with a manifest taken in the same snapshot", async () => {
    const r = await run("backup", ["--out", dump]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Backup written: .*round-trip\.dump/);
    expect(r.stdout).toMatch(/size [\d.]+ (B|KiB|MiB), took [\d.]+ s/);
    expect(fs.statSync(dump).mode & 0o777).toBe(0o600);
    expect(fs.statSync(`${dump}.manifest.json`).mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(dump).subarray(0, 5).toString()).toBe("PGDMP"); // custom format

    const m = JSON.parse(fs.readFileSync(`${dump}.manifest.json`, "utf8")) as Manifest;
    const counts = await tenantCounts(sourceUrl);
    for (const t of TENANT_TABLES) expect(m.state.tables[`public.${t}`]?.rows, t).toBe(counts[t]);
    expect(m.state.tables["public.tickets"]!.rows).toBe(4);
    expect(m.state.tables["public.comments"]!.rows).toBe(before.comments); // each ticket's body is its first comment
    // The job queue and the migration log are in the backup too.
    expect(Object.keys(m.state.tables)).toEqual(
      expect.arrayContaining(["pgboss.job", "pgboss.queue", "drizzle.__drizzle_migrations"]),
    );
    expect(m.state.tables["public.tickets"]).toMatchObject({ rls: true, force: true });
    // Its audit section is what audit:verify says about the source.
    const live = await verifyAllOrgs();
    expect(m.audit.map((a) => [a.slug, a.valid, a.checked])).toEqual(live.map((a) => [a.slug, a.valid, a.checked]));
    expect(m.audit.find((a) => a.orgId === w.org.id)).toMatchObject({ valid: true, checked: 6 });

    const again = await run("backup", ["--out", dump]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("already exists");
  }, 120_000);

  it("restores into a new database and verifies it: rows, RLS, policies, grants, migrations, audit chains", async () => {
    const r = await run("restore", [dump, "--target", restoredDb]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Created database ${restoredDb}`);
    expect(r.stdout).toMatch(/VERIFIED: \d+ checks passed/);
    expect(r.stdout).not.toMatch(/\bFAIL\b/);
    expect(r.stdout).toMatch(/rows public\.tickets\s+PASS\s+4\s+4/);
    // A new database starts from template0 without them; the (superuser) restore re-applies them.
    expect(r.stdout).toMatch(/search operators LEAKPROOF\s+PASS/);
    expect(
      await query(
        restoredUrl,
        `select proname, proleakproof from pg_proc where proname in ('ts_match_vq', 'texticlike') order by proname`,
      ),
    ).toEqual([
      { proname: "texticlike", proleakproof: true },
      { proname: "ts_match_vq", proleakproof: true },
    ]);
    expect(r.stdout).toContain(`DATABASE_URL='${restoredUrl.replace(/:[^:@/]+@/, ":***@")}'`);

    // Checked independently of the script's own verification:
    expect(await tenantCounts(restoredUrl)).toEqual(await tenantCounts(sourceUrl));
    const flags = await rlsFlags(restoredUrl);
    expect(flags).toHaveLength(TENANT_TABLES.length);
    expect(flags.every((f) => f.relrowsecurity && f.relforcerowsecurity)).toBe(true);
    expect(flags).toEqual(await rlsFlags(sourceUrl));
    expect(await policies(restoredUrl)).toEqual(await policies(sourceUrl));
    const grants = await query<{ sel: boolean; del: boolean; sys: boolean }>(
      restoredUrl,
      `select has_table_privilege('beacon_app', 'public.tickets', 'SELECT') as sel,
              has_table_privilege('beacon_app', 'public.audit_events', 'DELETE') as del,
              has_table_privilege('beacon_system', 'public.audit_events', 'SELECT') as sys`,
    );
    expect(grants[0]).toEqual({ sel: true, del: false, sys: true });

    // The operator's own commands agree: audit:verify and db:migrate --status.
    const [srcAudit, dstAudit] = await Promise.all([
      run("audit-verify", ["--json"]),
      run("audit-verify", ["--json"], { DATABASE_URL: restoredUrl }),
    ]);
    expect(dstAudit.code).toBe(0);
    const lines = (s: string) =>
      s
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { slug: string; valid: boolean; checked: number });
    expect(lines(dstAudit.stdout)).toEqual(lines(srcAudit.stdout));
    expect(lines(dstAudit.stdout).find((a) => a.slug === other.org.slug)).toMatchObject({ valid: true, checked: 6 });
    const [srcMig, dstMig] = await Promise.all([
      run("migrate", ["--status"]),
      run("migrate", ["--status"], { DATABASE_URL: restoredUrl }),
    ]);
    expect(dstMig.code).toBe(0);
    expect(dstMig.stdout).toBe(srcMig.stdout);
  }, 120_000);

  it("verifies the audit chains as the restoring user, whatever the request login role (a new server lacks it)", async () => {
    const r = await run("restore", [dump, "--target", restoredDb, "--verify-only"], {
      DATABASE_WEB_URL: "postgres://beacon_web_missing@127.0.0.1:9/none",
    });
    expect(r.stdout).toMatch(new RegExp(`audit:verify ${w.org.slug}\\s+PASS`));
    expect(r.stdout).toMatch(/VERIFIED: \d+ checks passed/);
    expect(r.code).toBe(0);
  }, 120_000);

  it("a tampered restore fails verification (rows and audit chain)", async () => {
    const c = new pg.Client({ connectionString: restoredUrl });
    await c.connect();
    await c.query("begin");
    await c.query("select set_config('role', 'beacon_system', true)");
    await c.query(
      "delete from comments where id = (select id from comments where org_id = $1 order by created_at limit 1)",
      [w.org.id],
    );
    await c.query("delete from audit_events where org_id = $1 and seq = 2", [w.org.id]);
    await c.query("commit");
    await c.end();

    const r = await run("restore", [dump, "--target", restoredDb, "--verify-only"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`rows public\\.comments\\s+FAIL\\s+${before.comments}\\s+${before.comments! - 1}\\b`),
    );
    expect(r.stdout).toMatch(
      new RegExp(`rows public\\.audit_events\\s+FAIL\\s+${before.audit_events}\\s+${before.audit_events! - 1}\\b`),
    );
    expect(r.stdout).toMatch(
      new RegExp(`audit:verify ${w.org.slug}\\s+FAIL\\s+valid checked=6\\s+BROKEN checked=1 firstBrokenSeq=2`),
    );
    expect(r.stdout).toMatch(new RegExp(`audit:verify ${other.org.slug}\\s+PASS`));
    expect(r.stdout).toContain("VERIFY FAILED: 3 of");
  }, 120_000);

  it("refuses a non-empty target without --force, and the live database even with it", async () => {
    const busy = await run("restore", [dump, "--target", restoredDb]);
    expect(busy.code).toBe(2);
    expect(busy.stderr).toContain(`Refusing to restore into ${restoredDb}: it is not empty`);

    const live = await run("restore", [dump, "--target", databaseOf(sourceUrl), "--force"]);
    expect(live.code).toBe(2);
    expect(live.stderr).toContain("it is the live database (DATABASE_URL)");
    expect(live.stderr).toContain("--force --overwrite-live");
    expect(await tenantCounts(sourceUrl)).toEqual(before);

    // --force replaces the tampered copy in one transaction, and it verifies again.
    const forced = await run("restore", [dump, "--target", restoredDb, "--force"]);
    expect(forced.stderr).toBe("");
    expect(forced.code).toBe(0);
    expect(forced.stdout).toMatch(/VERIFIED: \d+ checks passed/);
    expect(await tenantCounts(restoredUrl)).toEqual(await tenantCounts(sourceUrl));
  }, 120_000);

  it("refuses a dump that does not match its manifest", async () => {
    const copy = path.join(tmp, "damaged.dump");
    const bytes = fs.readFileSync(dump);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    fs.writeFileSync(copy, bytes);
    fs.copyFileSync(`${dump}.manifest.json`, `${copy}.manifest.json`);
    const r = await run("restore", [copy, "--target", `${restoredDb}2`]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("does not match its manifest");
    expect(await query(sourceUrl, "select 1 from pg_database where datname = $1", [`${restoredDb}2`])).toEqual([]);
  }, 60_000);
});
