import fs from "node:fs";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { sql } from "drizzle-orm";
import pg from "pg";
import PgBoss from "pg-boss";
import { afterAll, describe, expect, inject, it } from "vitest";
import { withDatabase } from "../setup/global";
import { prepareDatabase } from "../../src/server/deploy/prepare-database";
import { AUTO_CLOSE_RULE, defaultAutomationRows } from "../../src/server/automation/defaults";
import { unsafeScanAutomations } from "../../src/server/automation/time-rules";
import { automations } from "../../src/server/db/schema/automation";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { BOSS_SCHEMA, ensureJobSchema } from "../../src/server/jobs/boss";
import { RETIRED_QUEUES, WORK_QUEUES } from "../../src/server/jobs/queues";
import { bootstrapOrg } from "../../src/server/provisioning/bootstrap-org";
import { api, newTicket } from "../helpers/api";
import { apiRoute, call } from "../helpers/http";
import { createWorld, type World } from "../helpers/world";

// "Solved → closed after 4 days without activity" is each org's default time rule (decision 042):
// created with every org, in the migration for existing ones, editable, and the only auto-close.

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
type StoredRule = {
  name: string;
  position: number;
  active: boolean;
  conditions: unknown;
  actions: unknown;
  scanned_until: string | null;
};
const rulesOf = (orgId: string) =>
  q<StoredRule>(
    sql`select name, position, active, conditions, actions, scanned_until::text from automations where org_id = ${orgId} order by position, created_at`,
  );
const asStored = (r: ReturnType<typeof defaultAutomationRows>[number]) => ({
  name: r.name,
  position: r.position,
  active: r.active,
  conditions: r.conditions,
  actions: r.actions,
});

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups) await c().catch(() => undefined);
});

/** One statement of migration 0019, by what it contains. */
function migrationStatement(match: RegExp, migration = "0019_ticket_group_auto_close_rule"): string {
  const file = fs.readFileSync(path.resolve(import.meta.dirname, `../../drizzle/${migration}.sql`), "utf8");
  const found = file
    .split("--> statement-breakpoint")
    .map((x) => x.trim())
    .find((x) => match.test(x));
  if (!found) throw new Error(`no statement matching ${match} in ${migration}`);
  return found;
}

/** A world whose org has its default rules, as a real org gets them at creation. */
async function worldWithDefaults(): Promise<World> {
  const w = await createWorld();
  await unsafeWithSystem((tx) => tx.insert(automations).values(defaultAutomationRows(w.org.id)));
  return w;
}

/** A solved ticket whose last activity was `hours` ago. */
async function solvedQuietFor(w: World, hours: number) {
  const t = await newTicket(w.customer, { subject: `quiet ${hours}h` });
  expect((await api.patchTicket(w.agent, t.id, { status: "solved" })).status).toBe(200);
  await q(sql`update tickets set updated_at = now() - ${`${hours} hours`}::interval where id = ${t.id}`);
  return t;
}
const statusOf = async (w: World, id: string) => (await api.getTicket(w.agent, id)).body.status as string;
const autoRule = async (w: World) =>
  (await call(apiRoute.GET, "GET", "/api/v1/automations", { cookie: w.admin.cookie })).body.data[0] as {
    id: string;
    name: string;
  };

describe("the default auto-close rule", () => {
  it("a new org gets it at creation: an ordinary, active time rule", async () => {
    const n = randomBytes(4).toString("hex");
    const org = await bootstrapOrg({ name: `Defaults ${n}`, adminEmail: `owner-${n}@example.com`, timezone: "UTC" });
    const rows = await rulesOf(org.org.id);
    expect(
      rows.map((r) => ({
        name: r.name,
        position: r.position,
        active: r.active,
        conditions: r.conditions,
        actions: r.actions,
      })),
    ).toEqual(defaultAutomationRows(org.org.id).map(asStored));
    expect(rows[0]).toMatchObject({ name: AUTO_CLOSE_RULE.name, active: true, scanned_until: null });
    expect(AUTO_CLOSE_RULE.name).toBe("Close solved tickets after 4 days");
  });

  it("orgs that existed before get the same rule from migration 0019 (its INSERT equals the code's definition)", async () => {
    const w = await createWorld(); // the factories make orgs the way data before 0019 looked: no rules
    expect(await rulesOf(w.org.id)).toEqual([]);
    const insert = migrationStatement(/INSERT INTO "automations"/);
    // Run it in a transaction that is rolled back (it inserts for every org of this database).
    let rows: StoredRule[] = [];
    const rollback = new Error("rollback");
    await unsafeWithSystem(async (tx) => {
      await tx.execute(sql.raw(insert));
      rows = (
        await tx.execute<StoredRule>(
          sql`select name, position, active, conditions, actions, scanned_until::text from automations where org_id = ${w.org.id}`,
        )
      ).rows;
      throw rollback;
    }).catch((e: unknown) => {
      if (e !== rollback) throw e;
    });
    expect(
      rows.map((r) => ({
        name: r.name,
        position: r.position,
        active: r.active,
        conditions: r.conditions,
        actions: r.actions,
      })),
    ).toEqual(defaultAutomationRows(w.org.id).map(asStored));
    // Its first pass starts a day back (the replaced job had closed everything older), not at the beginning of time.
    const scanned = new Date(rows[0]!.scanned_until!).getTime();
    expect(Math.abs(Date.now() - 86_400_000 - scanned)).toBeLessThan(10 * 60_000);
    expect(await rulesOf(w.org.id)).toEqual([]);
  });

  it(
    "run by a non-superuser database owner (FORCE ROW LEVEL SECURITY applies to it), the backfill still reaches every org",
    { timeout: 180_000 },
    async () => {
      // A database owned by a non-superuser with CREATEROLE, migrated by it (as an external
      // PostgreSQL is, README), holding an org that predates 0019; then 0019's backfill, as that owner.
      const adminUrl = inject("adminUrl");
      const tag = `beacon_t_${inject("runId")}_ad${randomBytes(3).toString("hex")}`;
      const asAdmin = async (text: string, db?: string) => {
        const c = new pg.Client({ connectionString: db ? withDatabase(adminUrl, db) : adminUrl });
        await c.connect();
        try {
          return (await c.query(text)).rows;
        } finally {
          await c.end();
        }
      };
      const password = new URL(adminUrl).password;
      await asAdmin(`create role ${tag}_owner login createrole${password ? ` password '${password}'` : ""}`);
      await asAdmin(`create database ${tag} owner ${tag}_owner`);
      cleanups.push(async () => {
        await asAdmin(`drop database if exists ${tag} with (force)`);
        await asAdmin(`drop role if exists ${tag}_owner`);
      });
      const ownerUrl = new URL(withDatabase(adminUrl, tag));
      ownerUrl.username = `${tag}_owner`;
      await prepareDatabase(ownerUrl.toString());
      const [org] = await asAdmin(`insert into orgs (name, slug) values ('Before 0019', '${tag}') returning id`, tag);
      const backfill = migrationStatement(/INSERT INTO "automations"/);
      const owner = new pg.Client({ connectionString: ownerUrl.toString() });
      await owner.connect();
      try {
        expect((await owner.query("select rolsuper from pg_roles where rolname = current_user")).rows).toEqual([
          { rolsuper: false },
        ]);
        // What the owner sees without the role switch: nothing (which is why the migration switches).
        expect((await owner.query("select id from orgs")).rows).toEqual([]);
        await owner.query("begin");
        await owner.query(backfill);
        await owner.query("commit");
        expect((await owner.query("select current_user as u")).rows[0].u).toBe(`${tag}_owner`);
      } finally {
        await owner.end();
      }
      const rows = await asAdmin(`select name, active from automations where org_id = '${org.id}'`, tag);
      expect(rows).toEqual([{ name: AUTO_CLOSE_RULE.name, active: true }]);
    },
  );

  it("0021 adds the anchors 0015 missed (as beacon_system) and leaves the ones the triggers keep", async () => {
    const w = await createWorld();
    const t = await newTicket(w.customer, { subject: "older than 0015" });
    expect((await api.addComment(w.customer, t.id, { body: "any news?" })).status).toBe(201);
    const anchors = () =>
      q<{ anchor: string; at: number }>(
        sql`select anchor, extract(epoch from at)::float8 as at from ticket_anchors where ticket_id = ${t.id} order by anchor`,
      );
    const kept = await anchors();
    expect(kept.map((a) => a.anchor)).toEqual(
      expect.arrayContaining(["created", "customer_replied", "status_changed"]),
    );
    // What an install whose owner is not a superuser had after 0015: no anchors for old tickets;
    // and one anchor a trigger moved since (newer than the backfill would compute).
    await q(sql`delete from ticket_anchors where ticket_id = ${t.id} and anchor <> 'created'`);
    await q(
      sql`update ticket_anchors set at = at + interval '1 hour' where ticket_id = ${t.id} and anchor = 'created'`,
    );
    await q(sql.raw(migrationStatement(/ON CONFLICT/, "0021_ticket_anchors_backfill_as_system")));
    const after = await anchors();
    expect(after.map((a) => a.anchor)).toEqual(kept.map((a) => a.anchor));
    const created = (rows: typeof kept) => rows.find((a) => a.anchor === "created")!.at;
    expect(created(after)).toBeCloseTo(created(kept) + 3600, 3);
  });

  it("closes a ticket solved and quiet for 4 days, once, as ticket.auto_closed naming the rule; recent or active tickets stay", async () => {
    const w = await worldWithDefaults();
    const old = await solvedQuietFor(w, 96 * 1 + 1);
    const recent = await solvedQuietFor(w, 95);
    const open = await newTicket(w.customer, { subject: "still open" });
    await q(sql`update tickets set updated_at = now() - interval '10 days' where id = ${open.id}`);
    // Activity resets the clock: an internal note 1 hour ago on a ticket solved 5 days ago.
    const noted = await solvedQuietFor(w, 120);
    expect((await api.addComment(w.agent, noted.id, { body: "Checked with finance", internal: true })).status).toBe(
      201,
    );
    expect((await api.getTicket(w.agent, noted.id)).body.status).toBe("solved");

    const r = await unsafeScanAutomations();
    expect(r.failed).toBe(0);
    expect(await statusOf(w, old.id)).toBe("closed");
    for (const t of [recent, open, noted]) expect(await statusOf(w, t.id), t.subject as string).not.toBe("closed");
    const rule = await autoRule(w);
    const events = (await api.events(w.agent, old.id)).body.data as { action: string; data: Record<string, unknown> }[];
    expect(events.filter((e) => e.action === "ticket.auto_closed").map((e) => e.data)).toEqual([
      expect.objectContaining({
        kind: "automation",
        ruleId: rule.id,
        ruleName: "Close solved tickets after 4 days",
        changes: { status: { from: "solved", to: "closed" } },
      }),
    ]);
    // A second pass fires nothing again.
    await unsafeScanAutomations();
    expect(
      (await api.events(w.agent, old.id)).body.data.filter(
        (e: { action: string }) => e.action === "ticket.auto_closed",
      ),
    ).toHaveLength(1);
    expect(
      (await call(apiRoute.GET, "GET", `/api/v1/automations/${rule.id}`, { cookie: w.admin.cookie })).body.firedCount,
    ).toBe(1);
  });

  it("is the admin's to edit: a shorter delay closes sooner; disabled or deleted, nothing closes", async () => {
    const w = await worldWithDefaults();
    const rule = await autoRule(w);
    const edited = await call(apiRoute.PATCH, "PATCH", `/api/v1/automations/${rule.id}`, {
      cookie: w.admin.cookie,
      body: {
        name: "Close solved tickets after 2 days",
        conditions: {
          all: [
            { field: "hours_since", anchor: "updated", op: "gte", value: 48 },
            { field: "status", op: "is", value: "solved" },
          ],
        },
      },
    });
    expect(edited.status, edited.text).toBe(200);
    const two = await solvedQuietFor(w, 49);
    await unsafeScanAutomations();
    expect(await statusOf(w, two.id)).toBe("closed");

    expect(
      (
        await call(apiRoute.PATCH, "PATCH", `/api/v1/automations/${rule.id}`, {
          cookie: w.admin.cookie,
          body: { active: false },
        })
      ).status,
    ).toBe(200);
    const off = await solvedQuietFor(w, 200);
    await unsafeScanAutomations();
    expect(await statusOf(w, off.id)).toBe("solved");

    expect(
      (await call(apiRoute.DELETE, "DELETE", `/api/v1/automations/${rule.id}`, { cookie: w.admin.cookie })).status,
    ).toBe(204);
    await unsafeScanAutomations();
    expect(await statusOf(w, off.id)).toBe("solved");
    // An org without the rule (deleted here, or never given one) keeps solved tickets solved: there is no other auto-close.
    expect(await rulesOf(w.org.id)).toEqual([]);
  });

  it("the auto-close queue is gone: the worker does not work it, and preparing the job schema deletes it with its cron schedule", async () => {
    expect(WORK_QUEUES.map((x) => x.name)).not.toContain("auto-close");
    expect(RETIRED_QUEUES).toContain("auto-close");
    const url = process.env.DATABASE_URL!;
    const boss = new PgBoss({ connectionString: url, schema: BOSS_SCHEMA, supervise: false, schedule: false, max: 1 });
    boss.on("error", () => undefined);
    await boss.start();
    try {
      // What an older version left behind: the queue, its every-10-minutes schedule and a job.
      if (!(await boss.getQueue("auto-close"))) await boss.createQueue("auto-close");
      await boss.schedule("auto-close", "*/10 * * * *");
      await boss.send("auto-close", {});
    } finally {
      await boss.stop({ graceful: false, wait: true });
    }
    // pg-boss's tables, as their owner reads them (the app roles may not).
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    const rows = async (text: string) => (await owner.query(text)).rows;
    try {
      expect(await rows(`select name from pgboss.schedule where name = 'auto-close'`)).toHaveLength(1);
      expect(await rows(`select id from pgboss.job where name = 'auto-close'`)).toHaveLength(1);
      await ensureJobSchema(url);
      expect(await rows(`select name from pgboss.queue where name = 'auto-close'`)).toEqual([]);
      expect(await rows(`select name from pgboss.schedule where name = 'auto-close'`)).toEqual([]);
      expect(await rows(`select id from pgboss.job where name = 'auto-close'`)).toEqual([]);
      // The queues in use are still there.
      expect(await rows(`select name from pgboss.queue where name = 'automation-scan'`)).toHaveLength(1);
    } finally {
      await owner.end();
    }
  });
});
