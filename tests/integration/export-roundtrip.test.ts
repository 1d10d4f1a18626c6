import { mkdtempSync, readFileSync, writeFileSync, appendFileSync, truncateSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { crc32, deflateSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { storage } from "../../src/server/attachments/configured-storage";
import { newStorageKey } from "../../src/server/attachments/storage";
import tar from "tar-stream";
import { GENESIS_HASH, storedEventHash } from "../../src/server/audit/chain";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { formatCheckReport } from "../../src/server/import/check-report";
import { createImport, loadImport } from "../../src/server/import/import-run";
import { runBeaconImport } from "../../src/server/import/beacon/import-beacon";
import { createOrg } from "../helpers/factories";
import { runScript } from "../helpers/run-script";
import { withTenant } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { fullExportBatchesRead, fullExportStream } from "../../src/server/export/full/full-export-stream";
import { resumePoint } from "../../src/server/export/full/resume-point";
import { resetLimitersForTests } from "../../src/server/ratelimit/limiters";
import { api, newTicket } from "../helpers/api";
import { apiRoute } from "../helpers/http";
import { readArchive, sectionRows, sha256, type ArchiveMember } from "../helpers/org-archive";
import { createWorld, type Actor, type World } from "../helpers/world";

// The full org export (issue 17 item 5, decision 057, docs/export-format.md) and the beacon
// importer that reads it back: a seeded org with a bit of everything goes out as a tar archive
// through the real route, comes back into a new org, and is compared field by field.

let w: World, other: World;
const PICTURE = png();
let seeded: Awaited<ReturnType<typeof seed>>;

afterEach(() => {
  setProcessEnv({ RATE_LIMIT_EXPORT_PER_MIN: "" });
  resetLimitersForTests();
});

beforeAll(async () => {
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  seeded = await seed(w);
  // The other org has rows of every kind too, none of which may appear in w's archive.
  await newTicket(other.customer, { subject: "Other org's secret" });
});

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(4, 0);
  ihdr.writeUInt32BE(4, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = Buffer.alloc(13 * 4, 9);
  for (let y = 0; y < 4; y++) raw[y * 13] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

/** Users, a customer company, a group, custom fields, a ticket in every status with public and internal comments, an email comment with its Message-ID, a CC, an attachment, tags, a link and a merge, an SLA breach and a CSAT rating. */
async function seed(world: World) {
  const org = world.org.id;
  const statuses = ["new", "open", "pending", "on_hold", "solved", "closed"] as const;
  const tickets: { id: string; number: number }[] = [];
  for (const [i, status] of statuses.entries()) {
    const t = await newTicket(world.customer, { subject: `Case ${i}: ${status}`, body: `Opening words of case ${i}` });
    tickets.push({ id: t.id, number: t.number });
    const pub = await api.addComment(world.agent, t.id, { body: `Public reply **${i}**` });
    const note = await api.addComment(world.agent, t.id, { body: `Internal note ${i}`, internal: true });
    if (pub.status !== 201 || note.status !== 201) throw new Error(`comments: ${pub.text} ${note.text}`);
    void status;
  }
  return withTenant(org, async (tx) => {
    const co = await tx.execute<{ id: string }>(
      sql`insert into customer_orgs (org_id, name, notes) values (${org}, 'Acme Ltd', 'Pays on time') returning id`,
    );
    const coId = co.rows[0]!.id;
    await tx.execute(
      sql`insert into customer_org_domains (org_id, domain, customer_org_id) values (${org}, 'acme.test', ${coId})`,
    );
    await tx.execute(
      sql`insert into customer_notes (org_id, customer_id, author_id, body) values (${org}, ${world.customer.id}, ${world.agent.id}, 'Prefers email')`,
    );
    // A customer and a ticket linked to the company (decision 062), as a Freshdesk import links them.
    await tx.execute(
      sql`update users set customer_org_id = ${coId} where org_id = ${org} and id = ${world.customer.id}`,
    );
    const g = await tx.execute<{ id: string }>(
      sql`insert into groups (org_id, name) values (${org}, 'Tier 2') returning id`,
    );
    const groupId = g.rows[0]!.id;
    await tx.execute(
      sql`insert into group_members (org_id, group_id, user_id) values (${org}, ${groupId}, ${world.agent.id})`,
    );
    await tx.execute(sql`insert into ticket_fields (org_id, key, label, type, options, position)
      values (${org}, 'plan', 'Plan', 'dropdown', '["free","pro"]'::jsonb, 0), (${org}, 'seats', 'Seats', 'integer', '[]'::jsonb, 1)`);
    for (const [i, status] of statuses.entries()) {
      const t = tickets[i]!;
      const done = status === "solved" || status === "closed";
      await tx.execute(sql`update tickets set status = ${status}::ticket_status, tags = ${sql.raw(`array['case-${i}','vip']`)},
        assignee_id = ${world.agent.id}, group_id = ${groupId}, priority = ${i % 2 ? "high" : "low"}::ticket_priority,
        custom_fields = ${JSON.stringify({ plan: i % 2 ? "pro" : "free", seats: 10 + i })}::jsonb,
        resolved_at = ${done ? sql`now()` : sql`null`}, closed_at = ${status === "closed" ? sql`now()` : sql`null`}
        where org_id = ${org} and id = ${t.id}`);
    }
    const [a, b] = [tickets[0]!, tickets[1]!];
    await tx.execute(sql`update tickets set customer_org_id = ${coId} where org_id = ${org} and id = ${a.id}`);
    await tx.execute(sql`insert into ticket_ccs (org_id, ticket_id, email) values (${org}, ${a.id}, 'boss@acme.test')`);
    const lo = a.id < b.id ? a.id : b.id;
    const hi = a.id < b.id ? b.id : a.id;
    await tx.execute(
      sql`insert into ticket_links (org_id, ticket_a, ticket_b, created_by) values (${org}, ${lo}, ${hi}, ${world.agent.id})`,
    );
    await tx.execute(sql`update tickets set merged_into_id = ${b.id} where org_id = ${org} and id = ${tickets[5]!.id}`);
    const mail = await tx.execute<{
      id: string;
    }>(sql`insert into comments (org_id, ticket_id, author_id, body, body_html, channel, email)
      values (${org}, ${a.id}, ${world.customer.id}, 'Sent from my phone', '<p>Sent from my phone</p>', 'email',
      ${JSON.stringify({ from: world.customer.email, to: ["help@beacon.test"], cc: [], messageId: "<abc.123@mail.acme.test>" })}::jsonb)
      returning id`);
    await tx.execute(sql`insert into email_message_ids (org_id, message_id, ticket_id, comment_id, direction)
      values (${org}, '<abc.123@mail.acme.test>', ${a.id}, ${mail.rows[0]!.id}, 'inbound')`);
    const key = newStorageKey(org);
    const put = await storage().put(key, Readable.from([PICTURE]));
    await tx.execute(sql`insert into attachments (org_id, ticket_id, comment_id, uploader_id, filename, content_type, size_bytes, sha256, storage_key)
      values (${org}, ${a.id}, ${mail.rows[0]!.id}, ${world.customer.id}, 'screen.png', 'image/png', ${put.size}, ${put.sha256}, ${key})`);
    await tx.execute(sql`insert into sla_events (org_id, ticket_id, metric, kind, at, due_at, data)
      values (${org}, ${a.id}, 'first_response', 'breach', now() - interval '1 hour', now() - interval '2 hours', '{"minutes":60}'::jsonb)`);
    await tx.execute(sql`insert into csat_ratings (org_id, ticket_id, rating, comment, requester_id, assignee_id, group_id)
      values (${org}, ${tickets[4]!.id}, 'good', 'Quick and kind', ${world.customer.id}, ${world.agent.id}, ${groupId})`);
    return { tickets, groupId, customerOrgId: coId };
  });
}

async function exportVia(who: Actor, query: Record<string, string> = {}) {
  const url = new URL("http://localhost/api/v1/export/full");
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const res = await apiRoute.GET(new Request(url, { headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" } }));
  return { status: res.status, headers: res.headers, bytes: Buffer.from(await res.arrayBuffer()) };
}

async function streamBytes(s: ReadableStream<Uint8Array>, stopAfter = Infinity): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let n = 0;
  const reader = s.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    chunks.push(Buffer.from(value));
    n += value.byteLength;
    if (n >= stopAfter) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks);
}

const json = (m: ArchiveMember | undefined) => JSON.parse(m!.bytes.toString("utf8")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe("full org export", () => {
  let archive: ArchiveMember[];

  beforeAll(async () => {
    const r = await exportVia(w.admin);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/x-tar");
    archive = await readArchive(r.bytes);
  });

  it("starts with the manifest, ends with the summary, and holds every section", () => {
    expect(archive[0]!.name).toBe("manifest.json");
    expect(archive[archive.length - 1]!.name).toBe("summary.json");
    const manifest = json(archive[0]);
    expect(manifest).toMatchObject({
      format: "beacon-org-export",
      version: 1,
      org: { id: w.org.id, slug: w.org.slug },
    });
    expect(manifest.counts.tickets).toBe(6);
    const summary = json(archive[archive.length - 1]);
    expect(summary.counts).toMatchObject({
      users: 5,
      customer_orgs: 1,
      user_companies: 1,
      groups: 1,
      group_members: 1,
      ticket_fields: 2,
      tickets: 6,
      ticket_links: 1,
      comments: 19,
      email_message_ids: 1,
      attachments: 1,
      sla_events: expect.any(Number),
      csat_ratings: 1,
    });
    for (const [section, n] of Object.entries(summary.counts as Record<string, number>))
      expect(sectionRows(archive, section)).toHaveLength(n);
  });

  it("carries no password hash or secret, and only this org's rows", () => {
    const all = archive.map((m) => m.bytes.toString("latin1")).join("\n");
    expect(all).not.toMatch(/password_hash|totp_secret|\$argon2/);
    expect(all).not.toContain(other.org.id);
    expect(all).not.toContain("Other org's secret");
    for (const u of sectionRows(archive, "users")) expect(u).not.toHaveProperty("password_hash");
    const ticketIds = new Set(sectionRows(archive, "tickets").map((t) => t.id));
    expect(ticketIds).toEqual(new Set(seeded.tickets.map((t) => t.id)));
  });

  it("keeps tickets' columns, CCs, custom values, comments with Message-IDs, and the attachment's bytes", () => {
    const t0 = sectionRows(archive, "tickets").find((t) => t.id === seeded.tickets[0]!.id)!;
    expect(t0).toMatchObject({
      number: seeded.tickets[0]!.number,
      status: "new",
      tags: ["case-0", "vip"],
      custom_fields: { plan: "free", seats: 10 },
      group_id: seeded.groupId,
      ccs: [expect.objectContaining({ email: "boss@acme.test" })],
    });
    expect(sectionRows(archive, "tickets").find((t) => t.id === seeded.tickets[5]!.id)!.merged_into_id).toBe(
      seeded.tickets[1]!.id,
    );
    const comments = sectionRows(archive, "comments");
    expect(comments.filter((c) => c.internal)).toHaveLength(6);
    expect(comments.find((c) => c.channel === "email")!.email).toMatchObject({ messageId: "<abc.123@mail.acme.test>" });
    const [att] = sectionRows(archive, "attachments");
    expect(att).toMatchObject({ filename: "screen.png", file: `files/${att!.id}`, sha256: sha256(PICTURE) });
    expect(att).not.toHaveProperty("storage_key");
    expect(archive.find((m) => m.name === att!.file)!.bytes.equals(PICTURE)).toBe(true);
    expect(sectionRows(archive, "customer_orgs")[0]).toMatchObject({ name: "Acme Ltd", domains: ["acme.test"] });
  });

  it("proves the audit chain: a reader recomputes every hash and reaches the summary's head", () => {
    const events = sectionRows(archive, "audit_events") as {
      seq: number;
      actor_id: string | null;
      action: string;
      entity_type: string;
      entity_id: string | null;
      data: Record<string, unknown>;
      request_id: string | null;
      prev_hash: string;
      hash: string;
      at: string;
    }[];
    let prev = GENESIS_HASH;
    for (const [i, e] of events.entries()) {
      expect(e.seq).toBe(i + 1);
      expect(e.prev_hash).toBe(prev);
      const h = storedEventHash(prev, {
        orgId: w.org.id,
        seq: e.seq,
        actorId: e.actor_id,
        action: e.action,
        entityType: e.entity_type,
        entityId: e.entity_id,
        data: e.data,
        requestId: e.request_id,
        atIso: e.at,
      });
      expect(h).toBe(e.hash);
      prev = h;
    }
    const { audit } = json(archive[archive.length - 1]);
    expect(audit).toMatchObject({ events: events.length, headHash: prev, verified: true, firstBrokenSeq: null });
    expect(events.length).toBeGreaterThan(10);
    expect(events.some((e) => e.action === "export.started")).toBe(true);
  });

  it("an interrupted export resumed from its cursor gives the same archive", async () => {
    // Two rows a batch, so every section has several members and the cut lands mid-section.
    const whole = await streamBytes(fullExportStream(w.org.id, { batchSize: 2 }));
    const dir = mkdtempSync(path.join(os.tmpdir(), "beacon-export-"));
    const file = path.join(dir, "org.tar");
    for (const fraction of [0.05, 0.45, 0.8]) {
      writeFileSync(file, await streamBytes(fullExportStream(w.org.id, { batchSize: 2 }), whole.length * fraction));
      const point = await resumePoint(file);
      expect(point.complete).toBe(false);
      if (point.complete || !point.cursor) throw new Error("no cursor in the cut archive");
      truncateSync(file, point.offset);
      const rest = await exportVia(w.admin, { cursor: point.cursor });
      expect(rest.status).toBe(200);
      appendFileSync(file, rest.bytes);
      expect(await resumePoint(file)).toEqual({ complete: true });
      const resumed = await readArchive(readFileSync(file));
      const first = await readArchive(whole);
      const names = (a: ArchiveMember[]) => a.map((m) => m.name);
      // The audit chain grows by each export's own export.started, so the later archive's chain extends the earlier's.
      const data = (a: ArchiveMember[]) =>
        a.filter((m) => !/^(audit_events\/|summary\.json|manifest\.json)/.test(m.name));
      expect(names(data(resumed))).toEqual(names(data(first)));
      for (const [i, m] of data(resumed).entries()) expect(m.bytes.equals(data(first)[i]!.bytes)).toBe(true);
      const before = sectionRows(first, "audit_events");
      expect(sectionRows(resumed, "audit_events").slice(0, before.length)).toEqual(before);
      expect(json(resumed[resumed.length - 1]).audit.verified).toBe(true);
      expect(json(resumed[0]).createdAt).toBe(json(resumed[resumed.length - 1]).createdAt);
    }
  });

  it("stops reading when the client goes away", async () => {
    const before = fullExportBatchesRead();
    const reader = fullExportStream(w.org.id, { batchSize: 1 }).getReader();
    await reader.read();
    await reader.read();
    await reader.cancel();
    const after = fullExportBatchesRead();
    await new Promise((r) => setTimeout(r, 200));
    expect(fullExportBatchesRead() - after).toBeLessThanOrEqual(1);
    expect(after - before).toBeLessThan(5);
  });

  it("refuses non-admins, another org's cursor and a tampered one, changing nothing", async () => {
    for (const who of [w.agent, w.customer]) expect((await exportVia(who)).status).toBe(403);
    const cut = await streamBytes(fullExportStream(w.org.id, { batchSize: 2 }), 4096);
    const dir = mkdtempSync(path.join(os.tmpdir(), "beacon-export-"));
    writeFileSync(path.join(dir, "cut.tar"), cut);
    const point = await resumePoint(path.join(dir, "cut.tar"));
    if (point.complete || !point.cursor) throw new Error("no cursor");
    const count = () =>
      withTenant(other.org.id, async (tx) =>
        Number(
          (
            await tx.execute<{ n: string }>(
              sql`select count(*)::text as n from audit_events where org_id = ${other.org.id}`,
            )
          ).rows[0]!.n,
        ),
      );
    const before = await count();
    const foreign = await exportVia(other.admin, { cursor: point.cursor });
    expect(foreign.status).toBe(400);
    expect(JSON.parse(foreign.bytes.toString()).error.code).toBe("invalid_cursor");
    expect((await exportVia(other.admin, { cursor: point.cursor.slice(0, -2) + "xx" })).status).toBe(400);
    expect(await count()).toBe(before);
  });
});

type Translate = (type: string, id: string | null) => string | null;

/**
 * What an org holds, table by table, with every id passed through `id` (the source's through the
 * import's id map, the target's as they are), rows sorted: equal snapshots are equal orgs.
 */
async function snapshot(orgId: string, id: Translate, adminsAsAgents = false) {
  const rows = async (q: ReturnType<typeof sql>) =>
    withTenant(orgId, async (tx) => {
      await tx.execute(sql`select set_config('TimeZone', 'UTC', true)`);
      return (await tx.execute<{ j: Record<string, any> }>(q)).rows.map((r) => r.j); // eslint-disable-line @typescript-eslint/no-explicit-any
    });
  const sorted = <T>(xs: T[]) => xs.map((x) => JSON.stringify(x)).sort();
  const users = await rows(sql`select to_jsonb(t) as j from users t where org_id = ${orgId}`);
  const tickets = await rows(
    sql`select to_jsonb(t) - 'search_vector' || jsonb_build_object('ccs', (select coalesce(jsonb_agg(c.email order by c.email), '[]') from ticket_ccs c where c.org_id = t.org_id and c.ticket_id = t.id)) as j from tickets t where org_id = ${orgId}`,
  );
  const comments = await rows(sql`select to_jsonb(t) - 'search_vector' as j from comments t where org_id = ${orgId}`);
  const files = await rows(sql`select to_jsonb(t) as j from attachments t where org_id = ${orgId}`);
  return {
    users: sorted(
      users.map((u) => ({
        id: id("user", u.id),
        email: u.email,
        name: u.name,
        role: adminsAsAgents && u.role === "admin" ? "agent" : u.role,
        created_at: u.created_at,
        updated_at: u.updated_at,
        blocked_at: u.blocked_at,
        customer_org: id("customer_org", u.customer_org_id),
      })),
    ),
    customerOrgs: sorted(
      await rows(sql`select jsonb_build_object('name', name, 'notes', notes, 'created_at', created_at, 'domains',
        (select jsonb_agg(domain order by domain) from customer_org_domains d where d.org_id = t.org_id and d.customer_org_id = t.id)) as j
        from customer_orgs t where org_id = ${orgId}`),
    ),
    customerNotes: sorted(
      (await rows(sql`select to_jsonb(t) as j from customer_notes t where org_id = ${orgId}`)).map((n) => ({
        customer: id("user", n.customer_id),
        author: id("user", n.author_id),
        body: n.body,
        created_at: n.created_at,
      })),
    ),
    groups: sorted(
      (await rows(sql`select to_jsonb(t) as j from group_members t where org_id = ${orgId}`)).map((m) => ({
        group: id("group", m.group_id),
        user: id("user", m.user_id),
        away: m.away,
      })),
    ),
    fields: sorted(
      (
        await rows(
          sql`select to_jsonb(t) - 'org_id' - 'id' - 'version' as j from ticket_fields t where org_id = ${orgId}`,
        )
      ).map((f) => f),
    ),
    tickets: sorted(
      tickets.map((t) => ({
        ...t,
        org_id: null,
        id: id("ticket", t.id),
        requester_id: id("user", t.requester_id),
        assignee_id: id("user", t.assignee_id),
        group_id: id("group", t.group_id),
        customer_org_id: id("customer_org", t.customer_org_id),
        merged_into_id: id("ticket", t.merged_into_id),
        // Imported history has no SLA policy here (no clock runs on it) and starts at version 1.
        sla_policy_id: null,
        version: null,
      })),
    ),
    links: sorted(
      (await rows(sql`select to_jsonb(t) as j from ticket_links t where org_id = ${orgId}`)).map((l) => ({
        pair: [id("ticket", l.ticket_a), id("ticket", l.ticket_b)].sort(),
        by: id("user", l.created_by),
        at: l.created_at,
      })),
    ),
    comments: sorted(
      comments.map((c) => ({
        ...c,
        org_id: null,
        id: id("comment", c.id),
        ticket_id: id("ticket", c.ticket_id),
        author_id: id("user", c.author_id),
      })),
    ),
    messageIds: sorted(
      (await rows(sql`select to_jsonb(t) as j from email_message_ids t where org_id = ${orgId}`)).map((m) => ({
        ...m,
        org_id: null,
        ticket_id: id("ticket", m.ticket_id),
        comment_id: id("comment", m.comment_id),
      })),
    ),
    attachments: sorted(
      files.map((a) => ({
        ...a,
        org_id: null,
        storage_key: null,
        id: id("attachment", a.id),
        ticket_id: id("ticket", a.ticket_id),
        comment_id: id("comment", a.comment_id),
        uploader_id: id("user", a.uploader_id),
      })),
    ),
    slaEvents: sorted(
      (await rows(sql`select to_jsonb(t) as j from sla_events t where org_id = ${orgId}`)).map((e) => ({
        ...e,
        org_id: null,
        id: id("sla_event", e.id),
        ticket_id: id("ticket", e.ticket_id),
      })),
    ),
    csat: sorted(
      (await rows(sql`select to_jsonb(t) as j from csat_ratings t where org_id = ${orgId}`)).map((r) => ({
        ...r,
        org_id: null,
        ticket_id: id("ticket", r.ticket_id),
        requester_id: id("user", r.requester_id),
        assignee_id: id("user", r.assignee_id),
        group_id: id("group", r.group_id),
      })),
    ),
    storageKeys: files.map((a) => ({ key: a.storage_key as string, sha256: a.sha256 as string })),
  };
}

/** The import's id map as a translation of the source's ids into the target's. */
async function idMap(targetOrg: string): Promise<Translate> {
  const rows = await withTenant(targetOrg, (tx) =>
    tx.execute<{ source_type: string; source_id: string; beacon_id: string }>(
      sql`select source_type, source_id, beacon_id from import_id_map where org_id = ${targetOrg} and source_kind = 'beacon'`,
    ),
  );
  const m = new Map(rows.rows.map((r) => [`${r.source_type}:${r.source_id}`, r.beacon_id]));
  return (type, sourceId) =>
    sourceId === null || sourceId === undefined
      ? null
      : (m.get(`${type}:${sourceId}`) ?? `unmapped ${type} ${sourceId}`);
}

const same: Translate = (_t, x) => x ?? null;
const withoutKeys = (s: Awaited<ReturnType<typeof snapshot>>) => {
  const { storageKeys, ...rest } = s;
  void storageKeys;
  return rest;
};

describe("beacon importer: the round trip", () => {
  let file: string;

  beforeAll(async () => {
    const r = await exportVia(w.admin);
    expect(r.status).toBe(200);
    file = path.join(mkdtempSync(path.join(os.tmpdir(), "beacon-roundtrip-")), "org.tar");
    writeFileSync(file, r.bytes);
  });

  it("reads the archive into a new org: every table equal through the id map, numbers kept, bytes equal, nothing sent", async () => {
    const target = await createOrg();
    const sourceBefore = await snapshot(w.org.id, same);
    const imp = await createImport(target.id, { sourceKind: "beacon", source: file, createdBy: null });
    const result = await runBeaconImport({ orgId: target.id, importId: imp.id, input: file });
    expect(result.finished).toBe(true);
    const report = formatCheckReport(result.counts, result.report, result.ignoredFiles);
    expect(result.counts.ticket).toMatchObject({ source: 6, imported: 6, skipped: {} });
    expect(result.counts.comment).toMatchObject({ source: 19, imported: 19, skipped: {} });
    expect(result.counts.attachment).toMatchObject({
      imported: 1,
      bytes: { source: PICTURE.length, imported: PICTURE.length },
    });
    expect(result.counts.audit_event!.notes).toEqual({ "the archive's audit chain verified against its proof": 1 });
    expect(report).toMatch(/Sample: 6 tickets compared field by field, 0 differences/);

    const source = await snapshot(w.org.id, await idMap(target.id), true);
    const copy = await snapshot(target.id, same);
    expect(withoutKeys(copy)).toEqual(withoutKeys(source));
    expect(Object.fromEntries(Object.entries(copy).map(([k, v]) => [k, v.length]))).toEqual({
      users: 5,
      customerOrgs: 1,
      customerNotes: 1,
      groups: 1,
      fields: 2,
      tickets: 6,
      links: 1,
      comments: 19,
      messageIds: 1,
      attachments: 1,
      slaEvents: sourceBefore.slaEvents.length,
      csat: 1,
      storageKeys: 1,
    });
    expect(sourceBefore.slaEvents.some((e) => e.includes('"breach"'))).toBe(true);
    const numbers = (s: typeof copy) => s.tickets.map((t) => JSON.parse(t).number as number).sort();
    expect(numbers(copy)).toEqual(seeded.tickets.map((t) => t.number).sort());
    // The bytes came through the archive and the upload inspector into storage, equal.
    const [stored] = copy.storageKeys;
    const chunks: Buffer[] = [];
    for await (const c of await storage().get(stored!.key)) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).equals(PICTURE)).toBe(true);
    // The source org is untouched; the target's own chain says what was imported, and verifies.
    expect(await snapshot(w.org.id, same)).toEqual(sourceBefore);
    await withTenant(target.id, async (tx) => {
      expect((await verifyChain(tx, target.id)).valid).toBe(true);
      const imported = await tx.execute<{ action: string; n: number }>(
        sql`select action, count(*)::int as n from audit_events where org_id = ${target.id} group by action order by action`,
      );
      expect(Object.fromEntries(imported.rows.map((r) => [r.action, r.n]))).toEqual({
        "customer_org.imported": 1,
        "group.imported": 1,
        "ticket.imported": 6,
        "ticket_field.imported": 2,
        "user.imported": 5,
      });
      const sent = await tx.execute<{ n: number }>(
        sql`select (select count(*) from notifications where org_id = ${target.id}) + (select count(*) from sla_checks where org_id = ${target.id}) as n`,
      );
      expect(Number(sent.rows[0]!.n)).toBe(0);
    });

    // Read again (a new import of the same archive): nothing is written twice.
    const again = await createImport(target.id, { sourceKind: "beacon", source: file, createdBy: null });
    const second = await runBeaconImport({ orgId: target.id, importId: again.id, input: file });
    expect(second.counts.ticket).toMatchObject({ source: 6, imported: 0, existing: 6 });
    expect(second.counts.attachment).toMatchObject({ imported: 0, existing: 1 });
    expect(withoutKeys(await snapshot(target.id, same))).toEqual(withoutKeys(copy));
  });

  it("an import stopped after any batch and resumed ends with the same org", async () => {
    const target = await createOrg();
    const imp = await createImport(target.id, { sourceKind: "beacon", source: file, createdBy: null });
    let runs = 0;
    for (;;) {
      runs++;
      const r = await runBeaconImport({ orgId: target.id, importId: imp.id, input: file, maxBatches: 3 });
      if (r.finished) break;
      if (runs > 50) throw new Error("the import never finished");
    }
    expect(runs).toBeGreaterThan(3);
    const source = await snapshot(w.org.id, await idMap(target.id), true);
    expect(withoutKeys(await snapshot(target.id, same))).toEqual(withoutKeys(source));
    const row = await loadImport(target.id, imp.id);
    expect(row.state).toBe("done");
    expect(row.counts.ticket).toMatchObject({ source: 6, imported: 6, existing: 0 });
  });

  it("a cut-off archive imports what it holds and says it is incomplete; the same import then finishes from the whole one", async () => {
    const target = await createOrg();
    const cut = path.join(path.dirname(file), "cut.tar");
    writeFileSync(cut, readFileSync(file).subarray(0, Math.floor(readFileSync(file).length * 0.7)));
    const imp = await createImport(target.id, { sourceKind: "beacon", source: cut, createdBy: null });
    await expect(runBeaconImport({ orgId: target.id, importId: imp.id, input: cut })).rejects.toThrow(/incomplete/);
    const partial = await loadImport(target.id, imp.id);
    expect(partial.counts.ticket).toMatchObject({ imported: 6 });
    const done = await runBeaconImport({ orgId: target.id, importId: imp.id, input: file });
    expect(done.finished).toBe(true);
    expect(done.counts.ticket).toMatchObject({ source: 6, imported: 6, existing: 0 });
    expect(done.counts.comment).toMatchObject({ source: 19, imported: 19 });
  });

  it("attachment bytes go through the upload inspector: an executable in the archive is skipped with why", async () => {
    const src = await createWorld();
    const t = await newTicket(src.customer, { subject: "Here is the tool" });
    const exe = Buffer.concat([
      Buffer.from("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", "latin1"),
      Buffer.alloc(200, 0x41),
    ]);
    const key = newStorageKey(src.org.id);
    const put = await storage().put(key, Readable.from([exe]));
    await withTenant(src.org.id, (tx) =>
      tx.execute(sql`insert into attachments (org_id, ticket_id, uploader_id, filename, content_type, size_bytes, sha256, storage_key)
        values (${src.org.id}, ${t.id}, ${src.customer.id}, 'invoice.pdf', 'application/pdf', ${put.size}, ${put.sha256}, ${key})`),
    );
    const tarFile = path.join(path.dirname(file), "exe.tar");
    writeFileSync(tarFile, await streamBytes(fullExportStream(src.org.id)));
    const target = await createOrg();
    const imp = await createImport(target.id, { sourceKind: "beacon", source: tarFile, createdBy: null });
    const r = await runBeaconImport({ orgId: target.id, importId: imp.id, input: tarFile });
    expect(r.counts.ticket).toMatchObject({ imported: 1 });
    expect(r.counts.attachment).toMatchObject({ source: 1, imported: 0, skipped: { "file type not accepted": 1 } });
    expect(r.report.skippedSample.find((x) => x.type === "attachment")!.reason).toMatch(/invoice\.pdf/);
    const stored = await withTenant(target.id, (tx) =>
      tx.execute<{ n: number }>(sql`select count(*)::int as n from attachments where org_id = ${target.id}`),
    );
    expect(stored.rows[0]!.n).toBe(0);
  });

  it("refuses what is not a Beacon archive, and another kind of import", async () => {
    const target = await createOrg();
    const bogus = path.join(path.dirname(file), "bogus.tar");
    const pack = tar.pack();
    pack.entry({ name: "manifest.json" }, JSON.stringify({ format: "beacon-org-export", version: 99 }));
    pack.finalize();
    const chunks: Buffer[] = [];
    for await (const c of pack) chunks.push(c as Buffer);
    writeFileSync(bogus, Buffer.concat(chunks));
    const imp = await createImport(target.id, { sourceKind: "beacon", source: bogus, createdBy: null });
    await expect(runBeaconImport({ orgId: target.id, importId: imp.id, input: bogus })).rejects.toThrow(/version 99/);
    const zd = await createImport(target.id, { sourceKind: "zendesk", source: file, createdBy: null });
    await expect(runBeaconImport({ orgId: target.id, importId: zd.id, input: file })).rejects.toThrow(/zendesk import/);
    // Another org's import id is not found from this org.
    await expect(runBeaconImport({ orgId: other.org.id, importId: imp.id, input: file })).rejects.toThrow(/not found/);
    expect(await snapshot(target.id, same)).toMatchObject({ users: [], tickets: [] });
  });
});

describe("the CLIs", () => {
  const cli = (file: string, args: string[]) => runScript(file, args, { drop: ["BEACON_EMBEDDED_DB"] });

  it("npm run export -- full writes the archive, --resume finishes a cut one, npm run import -- beacon reads it", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "beacon-cli-"));
    const out = path.join(dir, "org.tar");
    const whole = await cli("export.ts", ["full", "--org", w.org.slug, "--out", out]);
    expect(whole.code, whole.stderr).toBe(0);
    const first = await readArchive(readFileSync(out));
    truncateSync(out, Math.floor(readFileSync(out).length * 0.6));
    const resumed = await cli("export.ts", ["full", "--org", w.org.slug, "--out", out, "--resume"]);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming .* after byte \d+/);
    const again = await readArchive(readFileSync(out));
    const data = (a: ArchiveMember[]) => a.filter((m) => !/^(audit_events\/|summary\.json)/.test(m.name));
    expect(data(again).map((m) => m.name)).toEqual(data(first).map((m) => m.name));
    expect(json(again[again.length - 1]).audit.verified).toBe(true);

    const target = await createOrg();
    const imported = await cli("import.ts", ["beacon", out, "--org", target.slug, "--json"]);
    expect(imported.code, imported.stderr).toBe(0);
    const result = JSON.parse(imported.stdout) as { finished: boolean; counts: Record<string, { imported: number }> };
    expect(result.finished).toBe(true);
    expect(result.counts.ticket!.imported).toBe(6);
    expect(result.counts.attachment!.imported).toBe(1);
  }, 120_000);
});
