import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { hashPassword, verifyPassword } from "../../src/server/auth/password";
import { verifyCredentials } from "../../src/server/auth/verify-credentials";
import {
  buildDemoData,
  demoSignIns,
  insertDemoOrgCopy,
  resetDemo,
  seedBodyHtml,
  seedDemoIfEmpty,
  type SeedResult,
} from "../../src/server/seed/demo";

// This file's database starts empty (cloned from the migrated template), so the first
// seedDemoIfEmpty really seeds.
const DEMO_PASSWORD = process.env.DEMO_PASSWORD!;
let first: SeedResult;
let seededAt: number;

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;

beforeAll(async () => {
  seededAt = Date.now();
  first = await seedDemoIfEmpty({ password: DEMO_PASSWORD });
});

afterEach(() => setProcessEnv({ NODE_ENV: "test" }));

describe("demo seed", () => {
  it("creates the two demo orgs with their ten users", async () => {
    expect(first).toMatchObject({ seeded: true });
    expect(first.generatedPassword).toBeUndefined();
    const orgs = await q<{ slug: string; name: string; timezone: string }>(
      sql`select slug, name, timezone from orgs order by slug`,
    );
    expect(orgs).toEqual([
      { slug: "acme", name: "Acme Support", timezone: "America/New_York" },
      { slug: "globex", name: "Globex", timezone: "Europe/Berlin" },
    ]);
    const users = await q<{ email: string; role: string }>(sql`select email, role::text from users order by email`);
    expect(users).toHaveLength(10);
    expect(users.map((u) => u.email).sort()).toEqual([...demoSignIns(DEMO_PASSWORD).emails].sort());
    for (const slug of ["acme", "globex"]) {
      const roles = Object.fromEntries(
        users.filter((u) => u.email.endsWith(`@${slug}.test`)).map((u) => [u.email.split("@")[0], u.role]),
      );
      expect(roles).toEqual({
        admin: "admin",
        agent: "agent",
        agent2: "agent",
        customer: "customer",
        customer2: "customer",
      });
    }
  });

  it("gives each org its support address (SPEC §11)", async () => {
    const rows = await q<{ slug: string; address: string; is_default: boolean }>(
      sql`select o.slug, a.address, a.is_default from email_addresses a join orgs o on o.id = a.org_id order by o.slug`,
    );
    expect(rows).toEqual([
      { slug: "acme", address: "support@acme.test", is_default: true },
      { slug: "globex", address: "support@globex.test", is_default: true },
    ]);
  });

  it("every demo user signs in with DEMO_PASSWORD, sharing one hash", async () => {
    const hashes = await q<{ password_hash: string }>(sql`select distinct password_hash from users`);
    expect(hashes).toHaveLength(1);
    expect(await verifyPassword(hashes[0]!.password_hash, DEMO_PASSWORD)).toBe(true);
    expect(await verifyPassword(hashes[0]!.password_hash, "not the demo password")).toBe(false);
    const u = await verifyCredentials({
      email: "agent@globex.test",
      password: DEMO_PASSWORD,
      ip: "10.9.8.7",
      via: "api",
    });
    expect(u.role).toBe("agent");
  });

  it("gives each org a business-hours calendar and a policy per priority", async () => {
    const policies = await q<{
      slug: string;
      priority: string;
      fr: number;
      rm: number;
      bh: boolean;
      tz: string | null;
      pause: string;
    }>(sql`
      select o.slug, p.priority::text, p.first_response_minutes as fr, p.resolve_minutes as rm, p.business_hours as bh,
             c.timezone as tz, p.pause_on::text as pause
      from sla_policies p join orgs o on o.id = p.org_id
      left join calendars c on c.org_id = p.org_id and c.id = p.calendar_id
      order by o.slug, p.first_response_minutes`);
    expect(policies).toHaveLength(8);
    for (const [slug, tz] of [
      ["acme", "America/New_York"],
      ["globex", "Europe/Berlin"],
    ] as const) {
      expect(
        policies
          .filter((p) => p.slug === slug)
          .map(({ priority, fr, rm, bh, tz: t, pause }) => ({ priority, fr, rm, bh, tz: t, pause })),
      ).toEqual([
        { priority: "urgent", fr: 60, rm: 240, bh: false, tz: null, pause: "{pending}" },
        { priority: "high", fr: 240, rm: 1440, bh: false, tz: null, pause: "{pending}" },
        { priority: "normal", fr: 480, rm: 2880, bh: true, tz, pause: "{pending}" },
        { priority: "low", fr: 1440, rm: 7200, bh: true, tz, pause: "{pending}" },
      ]);
    }
    const cals = await q<{ intervals: { day: number; start: string; end: string }[] }>(
      sql`select intervals from calendars`,
    );
    expect(cals).toHaveLength(2);
    for (const c of cals) {
      expect(c.intervals).toEqual([1, 2, 3, 4, 5].map((day) => ({ day, start: "09:00", end: "17:00" })));
    }
  });

  it("creates ~40 tickets per org in every status and priority, numbered 1..N with ticket_seq = N", async () => {
    const perOrg = await q<{
      slug: string;
      n: number;
      min: number;
      max: number;
      distinct_numbers: number;
      seq: number;
      statuses: string[];
      priorities: string[];
    }>(sql`
      select o.slug, count(*)::int as n, min(t.number) as min, max(t.number) as max, count(distinct t.number)::int as distinct_numbers,
             o.ticket_seq as seq, array_agg(distinct t.status::text) as statuses, array_agg(distinct t.priority::text) as priorities
      from tickets t join orgs o on o.id = t.org_id group by o.slug, o.ticket_seq order by o.slug`);
    expect(perOrg).toHaveLength(2);
    for (const o of perOrg) {
      expect(o.n).toBeGreaterThanOrEqual(35);
      expect({ min: o.min, max: o.max, distinct: o.distinct_numbers, seq: o.seq }).toEqual({
        min: 1,
        max: o.n,
        distinct: o.n,
        seq: o.n,
      });
      expect([...o.statuses].sort()).toEqual(["closed", "new", "on_hold", "open", "pending", "solved"]);
      expect([...o.priorities].sort()).toEqual(["high", "low", "normal", "urgent"]);
    }
  });

  it("gives tickets realistic state: requesters are customers, tags, spread over ~10 days, lifecycle stamps", async () => {
    const bad = await q<{ number: number; org: string; why: string }>(sql`
      select t.number, o.slug as org, case
        when r.role <> 'customer' then 'requester not a customer'
        when a.role = 'customer' then 'assigned to a customer'
        when cardinality(t.tags) = 0 then 'no tags'
        when t.first_response_due is null or t.resolve_due is null then 'no due dates'
        when t.sla_policy_id is null then 'no policy'
        when t.status <> 'new' and t.first_response_at is null then 'no first response'
        when t.status = 'new' and t.first_response_at is not null then 'new but responded'
        when t.status in ('solved', 'closed') and t.resolved_at is null then 'resolved without resolved_at'
        when t.status = 'closed' and t.closed_at is null then 'closed without closed_at'
        when t.status not in ('solved', 'closed') and t.resolved_at is not null then 'unresolved with resolved_at'
        when t.created_at > now() or t.updated_at > now() then 'in the future'
        when t.updated_at < t.created_at then 'updated before created'
      end as why
      from tickets t join orgs o on o.id = t.org_id
      join users r on r.org_id = t.org_id and r.id = t.requester_id
      left join users a on a.org_id = t.org_id and a.id = t.assignee_id`);
    expect(bad.filter((b) => b.why !== null)).toEqual([]);
    const spread = await q<{ oldest_days: number; newest_hours: number; assigned: number; unassigned: number }>(sql`
      select extract(epoch from now() - min(created_at)) / 86400 as oldest_days,
             extract(epoch from now() - max(created_at)) / 3600 as newest_hours,
             count(*) filter (where assignee_id is not null)::int as assigned,
             count(*) filter (where assignee_id is null)::int as unassigned
      from tickets`);
    expect(Number(spread[0]!.oldest_days)).toBeGreaterThan(5);
    expect(Number(spread[0]!.oldest_days)).toBeLessThanOrEqual(10.1);
    expect(Number(spread[0]!.newest_hours)).toBeLessThan(2);
    expect(spread[0]!.assigned).toBeGreaterThan(40);
    expect(spread[0]!.unassigned).toBeGreaterThan(0);
  });

  it("has some tickets near breach and some past breach, unfulfilled, relative to now", async () => {
    for (const slug of ["acme", "globex"]) {
      const [r] = await q<{ past: number; near: number }>(sql`
        select
          count(*) filter (where (first_response_at is null and first_response_due < now())
                              or (resolved_at is null and resolve_due < now()))::int as past,
          count(*) filter (where (first_response_at is null and first_response_due between now() and now() + interval '60 minutes')
                              or (resolved_at is null and resolve_due between now() and now() + interval '60 minutes'))::int as near
        from tickets t join orgs o on o.id = t.org_id where o.slug = ${slug}`);
      expect(r!.past, `${slug} past due`).toBeGreaterThanOrEqual(1);
      expect(r!.near, `${slug} due within the hour`).toBeGreaterThanOrEqual(1);
    }
    // Near means 15–60 minutes out (at seed time), so a warning is still ahead of them.
    const near = await q<{ mins: number }>(sql`
      select extract(epoch from least(
        case when first_response_at is null then first_response_due end,
        case when resolved_at is null then resolve_due end) - ${new Date(seededAt).toISOString()}::timestamptz) / 60 as mins
      from tickets where status not in ('solved', 'closed')`);
    const soon = near.map((n) => Number(n.mins)).filter((m) => m > 0 && m <= 60);
    expect(soon.length).toBeGreaterThanOrEqual(2);
    for (const m of soon) expect(m).toBeGreaterThanOrEqual(15);
  });

  it("hands every open ticket to the first SLA scan, which warns and breaches the due ones and queues notifications", async () => {
    const { unsafeScanSlas } = await import("../../src/server/sla/scan");
    const r = await unsafeScanSlas();
    expect(r.breaches).toBeGreaterThan(0);
    expect(r.warnings).toBeGreaterThan(0);
    const { jobsIn } = await import("../helpers/jobs");
    const jobs = (await jobsIn("notify")).filter((j) => String(j.data.kind).startsWith("sla."));
    expect(jobs).toHaveLength(r.breaches + r.warnings);
    const again = await unsafeScanSlas();
    expect(again.breaches + again.warnings).toBe(0);
  });

  it("writes conversations with public replies and internal notes as safe HTML", async () => {
    const [c] = await q<{
      total: number;
      internal: number;
      agent_public: number;
      customer: number;
      customer_internal: number;
      tickets_without: number;
    }>(sql`
      select count(*)::int as total,
             count(*) filter (where c.internal)::int as internal,
             count(*) filter (where not c.internal and u.role <> 'customer')::int as agent_public,
             count(*) filter (where u.role = 'customer')::int as customer,
             count(*) filter (where u.role = 'customer' and c.internal)::int as customer_internal,
             (select count(*)::int from tickets t where not exists (select 1 from comments x where x.org_id = t.org_id and x.ticket_id = t.id)) as tickets_without
      from comments c join users u on u.org_id = c.org_id and u.id = c.author_id`);
    expect(c!.internal).toBeGreaterThanOrEqual(10);
    expect(c!.agent_public).toBeGreaterThanOrEqual(40);
    expect(c!.customer).toBeGreaterThanOrEqual(80);
    expect(c!.customer_internal).toBe(0);
    expect(c!.tickets_without).toBe(0);
    const html = await q<{ body_html: string }>(sql`select body_html from comments`);
    for (const h of html) {
      expect(h.body_html.startsWith("<p>")).toBe(true);
      expect(h.body_html.replace(/<\/?(p|br|strong|code)>/g, "")).not.toMatch(/[<>]/);
    }
    // A responded ticket's first response time is an agent's public reply.
    const mismatched = await q<{ number: number }>(sql`
      select t.number from tickets t where t.first_response_at is not null and not exists (
        select 1 from comments c join users u on u.org_id = c.org_id and u.id = c.author_id
        where c.org_id = t.org_id and c.ticket_id = t.id and not c.internal and u.role <> 'customer' and c.created_at = t.first_response_at)`);
    expect(mismatched).toEqual([]);
  });

  it("indexes the subject and public conversation for search, not internal notes", async () => {
    const hit = async (words: string) =>
      (
        await q<{ subject: string }>(sql`select subject from tickets t join orgs o on o.id = t.org_id
        where o.slug = 'acme' and t.search_vector @@ websearch_to_tsquery('english', ${words})`)
      ).map((r) => r.subject);
    expect(await hit("checkout")).toContain("Checkout returns a 502 error for every customer");
    expect(await hit("greylisting")).toEqual([]);
    expect(await hit("Pixel 7 Android")).toEqual(["Mobile app crashes when uploading photos"]);
    const notes = await q<{ n: number }>(
      sql`select count(*)::int as n from comments where internal and search_vector @@ websearch_to_tsquery('english', 'greylisting')`,
    );
    expect(notes[0]!.n).toBe(2);
  });

  it("escapes markup in seed bodies", () => {
    expect(seedBodyHtml("a <script>alert(1)</script> & **b**\n\n`<img src=x>`")).toBe(
      "<p>a &lt;script&gt;alert(1)&lt;/script&gt; &amp; <strong>b</strong></p>\n<p><code>&lt;img src=x&gt;</code></p>",
    );
  });

  it("keeps each org's demo data inside that org under row-level security", async () => {
    const [acme] = await q<{ id: string }>(sql`select id from orgs where slug = 'acme'`);
    const seen = await withTenant(acme!.id, (tx) =>
      tx.execute<{ n: number; orgs: number }>(
        sql`select count(*)::int as n, count(distinct org_id)::int as orgs from tickets`,
      ),
    );
    expect(seen.rows[0]).toEqual({ n: 40, orgs: 1 });
  });

  it("is deterministic apart from ids and timestamps", () => {
    const strip = (d: ReturnType<typeof buildDemoData>) =>
      d.tickets.map((t) => ({
        n: t.number,
        s: t.subject,
        st: t.status,
        p: t.priority,
        tags: t.tags,
        hasAssignee: t.assigneeId !== null,
      }));
    const now = new Date();
    expect(strip(buildDemoData(now, "h"))).toEqual(strip(buildDemoData(now, "h")));
  });

  it("does nothing the second time", async () => {
    const before = await q<{ n: number }>(sql`select count(*)::int as n from tickets`);
    const again = await seedDemoIfEmpty({ password: DEMO_PASSWORD });
    expect(again.seeded).toBe(false);
    expect(again.generatedPassword).toBeUndefined();
    expect(await q<{ n: number }>(sql`select count(*)::int as n from tickets`)).toEqual(before);
    expect(await q<{ n: number }>(sql`select count(*)::int as n from orgs`)).toEqual([{ n: 2 }]);
  });

  it("refuses in production", async () => {
    setProcessEnv({ NODE_ENV: "production" });
    await expect(seedDemoIfEmpty({ password: DEMO_PASSWORD })).rejects.toThrow(
      /Refusing to seed demo data in production/,
    );
    await expect(resetDemo({ password: DEMO_PASSWORD })).rejects.toThrow(/production/);
    setProcessEnv({ NODE_ENV: "test" });
    expect(await q<{ n: number }>(sql`select count(*)::int as n from orgs`)).toEqual([{ n: 2 }]);
  });

  it("hints at the password without ever echoing it", () => {
    const set = demoSignIns("s3cret-demo-pass");
    expect(set.emails).toHaveLength(10);
    expect(set.passwordHint).toBe("password: the DEMO_PASSWORD you set");
    expect(JSON.stringify(set)).not.toContain("s3cret-demo-pass");
    expect(demoSignIns(undefined).passwordHint).toMatch(/printed when the demo data was first seeded/);
  });

  it("reset replaces the demo orgs, leaves other orgs alone, and generates a password when none is set", async () => {
    const [other] = await q<{ id: string }>(
      sql`insert into orgs (name, slug) values ('Real Co', 'real-co') returning id`,
    );
    const [oldAcme] = await q<{ id: string }>(sql`select id from orgs where slug = 'acme'`);
    const started = Date.now();
    const r = await resetDemo({ password: undefined });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(r.seeded).toBe(true);
    expect(r.generatedPassword).toMatch(/^[A-Za-z0-9_-]{16,}$/);
    const orgs = await q<{ id: string; slug: string }>(sql`select id, slug from orgs order by slug`);
    expect(orgs.map((o) => o.slug)).toEqual(["acme", "globex", "real-co"]);
    expect(orgs.find((o) => o.slug === "real-co")!.id).toBe(other!.id);
    expect(orgs.find((o) => o.slug === "acme")!.id).not.toBe(oldAcme!.id);
    expect(await q<{ n: number }>(sql`select count(*)::int as n from tickets where org_id = ${oldAcme!.id}`)).toEqual([
      { n: 0 },
    ]);
    const [u] = await q<{ password_hash: string }>(
      sql`select password_hash from users where email = 'customer2@acme.test'`,
    );
    expect(await verifyPassword(u!.password_hash, r.generatedPassword!)).toBe(true);
    expect(await verifyPassword(u!.password_hash, DEMO_PASSWORD)).toBe(false);
    // Other orgs exist now: start's seed-if-empty leaves the database alone.
    expect((await seedDemoIfEmpty({ password: DEMO_PASSWORD })).seeded).toBe(false);
  });
});

// The e2e harness's org per test (decision 049): a copy of Acme under a new slug, in its own org only.
describe("insertDemoOrgCopy", () => {
  it("makes Acme's people, tickets and support address under the new slug, signing in with the given hash, inside that org only", async () => {
    const passwordHash = await hashPassword(DEMO_PASSWORD);
    const copy = await insertDemoOrgCopy({ slug: "e2e-copytest", name: "Acme Support copytest", passwordHash });
    expect(copy).toMatchObject({ slug: "e2e-copytest", name: "Acme Support copytest" });
    const users = await q<{ email: string; role: string }>(
      sql`select email, role::text from users where org_id = ${copy.id} order by email`,
    );
    expect(users).toEqual([
      { email: "admin@e2e-copytest.test", role: "admin" },
      { email: "agent2@e2e-copytest.test", role: "agent" },
      { email: "agent@e2e-copytest.test", role: "agent" },
      { email: "customer2@e2e-copytest.test", role: "customer" },
      { email: "customer@e2e-copytest.test", role: "customer" },
    ]);
    expect(await q(sql`select address, is_default from email_addresses where org_id = ${copy.id}`)).toEqual([
      { address: "support@e2e-copytest.test", is_default: true },
    ]);
    const [acme] = await q<{ id: string }>(sql`select id from orgs where slug = 'acme'`);
    const count = async (orgId: string) =>
      (
        await withTenant(orgId, (tx) =>
          tx.execute<{ n: number; orgs: number }>(
            sql`select count(*)::int as n, count(distinct org_id)::int as orgs from tickets`,
          ),
        )
      ).rows[0];
    expect(await count(copy.id)).toEqual(await count(acme!.id));
    const u = await verifyCredentials({
      email: "customer2@e2e-copytest.test",
      password: DEMO_PASSWORD,
      ip: "10.9.8.6",
      via: "api",
    });
    expect(u.orgId).toBe(copy.id);
    // A second copy needs its own slug: the first one's is taken.
    await expect(insertDemoOrgCopy({ slug: "E2E-COPYTEST", name: "again", passwordHash })).rejects.toThrow();
  });
});
