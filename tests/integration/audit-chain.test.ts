import { spawnSync } from "node:child_process";
import path from "node:path";
import fc from "fast-check";
import { sql } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { GET as verify } from "../helpers/http";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { recordAudit } from "../../src/server/audit/record-audit";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { canonicalJson, canonicalJsonFromText } from "../../src/lib/canonical-json";
import { api, newTicket } from "../helpers/api";
import { call } from "../helpers/http";
import { createOrg } from "../helpers/factories";
import { createWorld, type World } from "../helpers/world";

let w: World, other: World;
beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  const t = await newTicket(w.customer);
  await api.addComment(w.agent, t.id, { body: "hello" });
  await api.patchTicket(w.agent, t.id, { status: "solved", tags: ["done"] });
  await newTicket(other.customer);
});

const verifyAs = (who: { cookie: string }) => call(verify, "GET", "/api/v1/audit/verify", { cookie: who.cookie });

describe("audit chain", () => {
  it("every mutation is chained: seq 1..n, each prevHash the previous hash", async () => {
    const rows = await unsafeWithSystem((tx) =>
      tx.execute<{ seq: string; prev_hash: string; hash: string; action: string }>(
        sql`select seq::text as seq, prev_hash, hash, action from audit_events where org_id = ${w.org.id} order by audit_events.seq`,
      ),
    );
    expect(rows.rows.map((r) => r.action)).toEqual(["ticket.created", "ticket.replied", "ticket.updated"]);
    rows.rows.forEach((r, i) => {
      expect(Number(r.seq)).toBe(i + 1);
      expect(r.prev_hash).toBe(i === 0 ? "0".repeat(64) : rows.rows[i - 1]!.hash);
    });
  });

  it("GET /audit/verify reports a valid chain to admins only", async () => {
    const r = await verifyAs(w.admin);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ valid: true, checked: 3, firstBrokenSeq: null });
    expect((await verifyAs(w.agent)).status).toBe(403);
    expect((await verifyAs(w.customer)).status).toBe(403);
  });

  it("the app role cannot rewrite history", async () => {
    await expect(
      withTenant(w.org.id, (tx) => tx.execute(sql`update audit_events set data = '{}' where org_id = ${w.org.id}`)),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
    await expect(
      withTenant(w.org.id, (tx) => tx.execute(sql`delete from audit_events where org_id = ${w.org.id}`)),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
  });

  it("detects tampering by SQL at the exact seq: edited data, edited hash, deleted row", async () => {
    const org = await createOrg();
    const actor = { orgId: org.id, actorId: null, requestId: null };
    await withTenant(org.id, async (tx) => {
      for (let i = 0; i < 6; i++)
        await recordAudit(tx, actor, {
          action: "test.event",
          entityType: "test",
          entityId: String(i),
          data: { i, nested: { b: 1, a: [1, "x"] } },
        });
    });
    const check = () => withTenant(org.id, (tx) => verifyChain(tx, org.id));
    expect(await check()).toEqual({ valid: true, checked: 6, firstBrokenSeq: null });

    await unsafeWithSystem((tx) =>
      tx.execute(sql`update audit_events set data = jsonb_set(data, '{i}', '99') where org_id = ${org.id} and seq = 4`),
    );
    expect(await check()).toEqual({ valid: false, checked: 3, firstBrokenSeq: 4 });
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update audit_events set data = jsonb_set(data, '{i}', '3') where org_id = ${org.id} and seq = 4`),
    );
    expect((await check()).valid).toBe(true);

    await unsafeWithSystem((tx) =>
      tx.execute(sql`update audit_events set at = at + interval '1 second' where org_id = ${org.id} and seq = 2`),
    );
    expect(await check()).toMatchObject({ valid: false, firstBrokenSeq: 2 });
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update audit_events set at = at - interval '1 second' where org_id = ${org.id} and seq = 2`),
    );

    await unsafeWithSystem((tx) => tx.execute(sql`delete from audit_events where org_id = ${org.id} and seq = 5`));
    expect(await check()).toEqual({ valid: false, checked: 4, firstBrokenSeq: 5 });
  });

  it("verification canonicalizes PostgreSQL's jsonb text exactly as the recorded object was hashed", async () => {
    // verifyRange reads `data` as jsonb text and canonicalizes it without parsing it
    // (canonicalJsonFromText): the bytes must be the ones canonicalJson gave the object at record
    // time, whatever jsonb did to it (key order, spacing, numbers as numeric, escapes).
    const noNul = (v: unknown) => !JSON.stringify(v).includes("\\u0000");
    const values = fc.sample(fc.dictionary(fc.string(), fc.jsonValue()).filter(noNul), { numRuns: 400, seed: 16 });
    values.push(
      { b: 1.5, a: 1e21, c: -0, d: 0.1 + 0.2, e: 5e-324, f: 123456789012345680000, g: 1e-7 },
      { é: '\n"\\', "e\u0301": "\u0007\u001f", "😀": ["/", "\u2028"], "": null, Z: { y: [], x: {} } },
    );
    const texts = await unsafeWithSystem((tx) =>
      tx.execute<{ t: string }>(
        sql`select e.value::text as t from jsonb_array_elements(${JSON.stringify(values)}::jsonb) with ordinality e(value, n) order by e.n`,
      ),
    );
    expect(texts.rows).toHaveLength(values.length);
    texts.rows.forEach(({ t }, i) => {
      expect(canonicalJsonFromText(t)).toBe(canonicalJson(values[i]));
    });

    // And end to end: events recorded with such data verify.
    const org = await createOrg();
    await withTenant(org.id, async (tx) => {
      for (const data of values.slice(-12))
        await recordAudit(
          tx,
          { orgId: org.id, actorId: null, requestId: null },
          { action: "test.event", entityType: "test", entityId: null, data },
        );
    });
    expect(await withTenant(org.id, (tx) => verifyChain(tx, org.id))).toEqual({
      valid: true,
      checked: 12,
      firstBrokenSeq: null,
    });
  });

  it("npm run audit:verify reports each org and exits 1 on a broken chain", async () => {
    const root = path.resolve(import.meta.dirname, "../..");
    const run = (args: string[]) =>
      spawnSync(process.execPath, ["scripts/run.mjs", "audit-verify", ...args], {
        cwd: root,
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, NODE_ENV: "test" },
      });
    const ok = run(["--org", w.org.slug]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`valid\\s+${w.org.slug}\\s+checked=3`));
    await unsafeWithSystem((tx) =>
      tx.execute(sql`update audit_events set action = 'ticket.deleted' where org_id = ${other.org.id} and seq = 1`),
    );
    const broken = run(["--org", other.org.slug, "--json"]);
    expect(broken.status).toBe(1);
    expect(JSON.parse(broken.stdout.trim())).toMatchObject({
      valid: false,
      checked: 0,
      firstBrokenSeq: 1,
      slug: other.org.slug,
    });
    expect(run(["--org", "no-such-org"]).status).toBe(2);
  });
});

describe("GET /api/v1/audit", () => {
  it("lists the org's chain newest first with filters and cursors; admins only; never another org's", async () => {
    const { GET: list } = await import("../helpers/http");
    const all = await call(list, "GET", "/api/v1/audit", { cookie: w.admin.cookie });
    expect(all.status).toBe(200);
    expect(all.body.data.map((e: { seq: number }) => e.seq)).toEqual([3, 2, 1]);
    expect(all.body.data[0]).toMatchObject({ action: "ticket.updated", entityType: "ticket", actorId: w.agent.id });
    const page1 = await call(list, "GET", "/api/v1/audit", { cookie: w.admin.cookie, query: { limit: "2" } });
    const page2 = await call(list, "GET", "/api/v1/audit", {
      cookie: w.admin.cookie,
      query: { limit: "2", cursor: page1.body.nextCursor! },
    });
    expect(page2.body.data.map((e: { seq: number }) => e.seq)).toEqual([1]);
    const replied = await call(list, "GET", "/api/v1/audit", {
      cookie: w.admin.cookie,
      query: { action: "ticket.replied" },
    });
    expect(replied.body.data).toHaveLength(1);
    expect((await call(list, "GET", "/api/v1/audit", { cookie: w.agent.cookie })).status).toBe(403);
    expect(
      (await call(list, "GET", "/api/v1/audit", { cookie: w.admin.cookie, query: { action: "DROP TABLE" } })).status,
    ).toBe(400);
    const theirs = await call(list, "GET", "/api/v1/audit", { cookie: other.admin.cookie });
    expect(theirs.body.data.every((e) => e.entityId !== all.body.data[0]!.entityId)).toBe(true);
  });
});
