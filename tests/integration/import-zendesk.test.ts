import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { buffer } from "node:stream/consumers";
import os from "node:os";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storage } from "../../src/server/attachments/configured-storage";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { importIdMap, imports } from "../../src/server/db/schema/imports";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { createImport, loadImport } from "../../src/server/import/import-run";
import { runZendeskImport } from "../../src/server/import/zendesk/import-zendesk";
import { db } from "../../src/server/db/client";
import { newTicket } from "../helpers/api";
import { createOrg, createUser } from "../helpers/factories";
import { png } from "../helpers/png";
import { ROOT, runScript } from "../helpers/run-script";
import { createWorld } from "../helpers/world";

// Importing a Zendesk export (issue 17, migration 0026, decision 053): the fixture is written in
// the shapes of Zendesk's account JSON export (tickets.json: one ticket per line, comments inside)
// and incremental export API pages (users, organizations, a page with sideloaded users).

const FIXTURE_SOURCE = path.resolve(import.meta.dirname, "../fixtures/import/zendesk");
/** The fixture with its attachment URLs pointed at a local server standing in for Zendesk's storage. */
let FIXTURE: string;
let server: Server;
const PICTURE = png();

beforeAll(async () => {
  // Zendesk answers a content URL with a redirect to signed storage; the importer follows it through the outbound guard.
  server = createServer((req, res) => {
    const u = new URL(req.url!, "http://x");
    if (u.pathname === "/attachments/token/xyz/") return res.writeHead(302, { location: "/signed/fire.png" }).end();
    if (u.pathname === "/signed/fire.png")
      return res.writeHead(200, { "content-type": "image/png", "content-length": PICTURE.length }).end(PICTURE);
    if (u.pathname === "/attachments/token/exe/")
      return res
        .writeHead(200)
        .end(
          Buffer.concat([
            Buffer.from("MZ\x90\x00", "latin1"),
            Buffer.alloc(60),
            Buffer.from("PE\0\0", "latin1"),
            Buffer.alloc(4000, 1),
          ]),
        );
    if (u.pathname === "/attachments/token/huge/")
      return res.writeHead(200, { "content-length": String(50 * 1024 * 1024) }).end();
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  FIXTURE = mkdtempSync(path.join(os.tmpdir(), "zendesk-fixture-"));
  for (const f of readdirSync(FIXTURE_SOURCE))
    writeFileSync(
      path.join(FIXTURE, f),
      readFileSync(path.join(FIXTURE_SOURCE, f), "utf8").replaceAll("https://acme.zendesk.com", base),
    );
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function importInto(
  orgId: string,
  input = FIXTURE,
  opts: { batchSize?: number; maxBatches?: number; importId?: string } = {},
) {
  const importId =
    opts.importId ?? (await createImport(orgId, { sourceKind: "zendesk", source: input, createdBy: null })).id;
  const result = await runZendeskImport({
    orgId,
    importId,
    input,
    batchSize: opts.batchSize,
    maxBatches: opts.maxBatches,
  });
  return { importId, ...result };
}

const rows = <T extends Record<string, unknown>>(orgId: string, q: ReturnType<typeof sql>) =>
  unsafeWithSystem(async (tx) => (await tx.execute<T>(sql`select * from (${q}) q where q.org_id = ${orgId}`)).rows);
const count = async (orgId: string, table: string) =>
  Number(
    (
      await unsafeWithSystem((tx) =>
        tx.execute<{ n: string }>(
          sql`select count(*)::text as n from ${sql.identifier(table)} where org_id = ${orgId}`,
        ),
      )
    ).rows[0]!.n,
  );
/** Everything an org's import could have queued: any pg-boss job whose data names the org. */
const jobsOf = async (orgId: string) =>
  Number(
    (await db().execute<{ n: string }>(sql`select count(*)::text as n from pgboss.job where data->>'orgId' = ${orgId}`))
      .rows[0]!.n,
  );

/** Raw statements give timestamps as PostgreSQL writes them. */
const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

type Snapshot = Record<string, number>;
const snapshot = async (orgId: string): Promise<Snapshot> => {
  const out: Snapshot = {};
  for (const t of [
    "tickets",
    "comments",
    "ticket_ccs",
    "ticket_fields",
    "groups",
    "group_members",
    "users",
    "customer_orgs",
    "customer_org_domains",
    "email_message_ids",
    "import_id_map",
    "audit_events",
  ])
    out[t] = await count(orgId, t);
  return out;
};

describe("Zendesk import", () => {
  it("imports users, organizations, tickets and comments as they were, and reports what it skipped with why", async () => {
    // A world has SLA policies for every priority and agents to notify: the import must use none of it.
    const world = await createWorld();
    const org = world.org;
    const jobsBefore = await jobsOf(org.id);
    const r = await importInto(org.id);
    expect(r.finished).toBe(true);

    expect(r.counts.organization).toMatchObject({ source: 3, imported: 2, skipped: { "malformed: name": 1 } });
    expect(r.counts.group).toMatchObject({ source: 2, imported: 1, skipped: { "deleted in Zendesk": 1 } });
    expect(r.counts.group_membership).toMatchObject({
      source: 3,
      imported: 1,
      skipped: { "its user is not an agent in Beacon": 1, "its group was not imported": 1 },
    });
    expect(r.counts.ticket_field).toMatchObject({
      source: 4,
      imported: 2,
      skipped: {
        "a Zendesk system field (imported into Beacon's own columns)": 1,
        "a field type Beacon does not have": 1,
      },
    });
    expect(r.counts.user).toMatchObject({ source: 7, imported: 6, skipped: { "malformed: id": 1 } });
    expect(r.counts.user!.notes).toEqual({
      "no usable email: given a placeholder address": 1,
      "named by tickets but not in the export: placeholder created": 1,
    });
    expect(r.counts.ticket).toMatchObject({
      source: 10,
      imported: 6,
      existing: 0,
      skipped: { "deleted in Zendesk": 1, "not valid JSON": 1, "malformed: status": 1, "no requester": 1 },
    });
    expect(r.counts.comment).toMatchObject({
      source: 15,
      imported: 12,
      skipped: { "malformed: created_at": 1, "its ticket was skipped": 2 },
    });
    // Attachments by URL: fetched through the outbound guard (a private address is refused), under the size limit and the content sniffing.
    expect(r.counts.attachment).toEqual({
      source: 5,
      imported: 1,
      existing: 0,
      matched: 0,
      bytes: { source: 83 + 1024 + 20 + 5000 + 52428800, imported: PICTURE.length },
      skipped: {
        "file type not accepted": 1,
        "refused by the outbound guard": 1,
        "download failed": 1,
        "larger than the attachment size limit": 1,
      },
    });
    const files = await rows<{
      filename: string;
      content_type: string;
      size_bytes: string;
      storage_key: string;
      number: number;
      internal: boolean;
    }>(
      org.id,
      sql`
      select a.org_id, a.filename, a.content_type, a.size_bytes::text, a.storage_key, t.number, c.internal from attachments a
      join tickets t on t.org_id = a.org_id and t.id = a.ticket_id join comments c on c.org_id = a.org_id and c.id = a.comment_id`,
    );
    expect(files.map((f) => [f.filename, f.content_type, Number(f.size_bytes), f.number, f.internal])).toEqual([
      ["fire.png", "image/png", PICTURE.length, 101, false],
    ]);
    expect((await buffer(await storage().get(files[0]!.storage_key))).equals(PICTURE)).toBe(true);
    expect(r.report.skippedSample.map((s) => `${s.type} ${s.sourceId ?? "?"}: ${s.reason}`)).toContain(
      "ticket 104: deleted in Zendesk",
    );

    const tickets = await rows<{
      number: number;
      subject: string;
      status: string;
      priority: string;
      tags: string[];
      requester: string;
      assignee: string | null;
      created_at: Date;
      resolved_at: Date | null;
      closed_at: Date | null;
      first_response_at: Date | null;
    }>(
      org.id,
      sql`
      select t.org_id, t.number, t.subject, t.status::text, t.priority::text, t.tags, r.email as requester, a.email as assignee, t.created_at, t.resolved_at, t.closed_at, t.first_response_at
      from tickets t join users r on r.org_id = t.org_id and r.id = t.requester_id left join users a on a.org_id = t.org_id and a.id = t.assignee_id order by t.number`,
    );
    expect(tickets.map((t) => [t.number, t.subject, t.status, t.priority, t.requester, t.assignee])).toEqual([
      [101, "Printer on fire", "solved", "urgent", "carol@globex.example", "bob@acme.example"],
      [102, "Password reset", "open", "normal", "erin@initech.example", null],
      [103, "Old ticket from a deleted user", "closed", "low", "zendesk-user-8888@import.invalid", "ada@acme.example"],
      [106, "On hold question", "on_hold", "high", "zendesk-user-9102@import.invalid", "bob@acme.example"],
      [
        107,
        `Pending reply ${"\u{1F600}".repeat(186)}`,
        "pending",
        "normal",
        "carol@globex.example",
        "ada@acme.example",
      ],
      [120, "From the incremental export", "new", "normal", "frank@example.org", null],
    ]);
    // Custom fields: Zendesk's become Beacon fields keyed zendesk_<id>; values are checked by Beacon's rules,
    // and one no field takes (an unknown option, a field the export does not define) is kept in the audit event.
    const custom = await rows<{ number: number; custom_fields: Record<string, unknown> }>(
      org.id,
      sql`select org_id, number, custom_fields from tickets where number in (101, 107) order by number`,
    );
    expect(custom.map((c) => c.custom_fields)).toEqual([{ zendesk_360001: "emea" }, { zendesk_360002: 25 }]);
    const fieldDefs = await rows<{ key: string; type: string; options: string[] }>(
      org.id,
      sql`select org_id, key, type, options from ticket_fields order by key`,
    );
    expect(fieldDefs.map((f) => [f.key, f.type, f.options])).toEqual([
      ["zendesk_360001", "dropdown", ["emea", "apac"]],
      ["zendesk_360002", "integer", []],
    ]);
    const kept = await rows<{ data: { sourceCustomFields?: unknown } }>(
      org.id,
      sql`select e.org_id, e.data from audit_events e where e.action = 'ticket.imported' and e.data->>'sourceId' = '107'`,
    );
    expect(kept[0]!.data.sourceCustomFields).toEqual([
      { id: "360001", value: "mars" },
      { id: "360009", value: "orphan" },
    ]);
    // Teams: the ticket keeps its Zendesk group, whose agent members came along.
    const team = await rows<{ number: number; name: string | null; members: string[] }>(
      org.id,
      sql`
      select t.org_id, t.number, g.name, array(select u.email from group_members m join users u on u.org_id = m.org_id and u.id = m.user_id where m.org_id = g.org_id and m.group_id = g.id) as members
      from tickets t left join groups g on g.org_id = t.org_id and g.id = t.group_id where t.number in (101, 102) order by t.number`,
    );
    expect(team.map((t) => [t.number, t.name, t.members])).toEqual([
      [101, "Hardware", ["bob@acme.example"]],
      [102, null, []],
    ]);
    const t101 = tickets[0]!;
    expect(t101.tags).toEqual(["fire", "hardware"]);
    // Tags follow Beacon's rules (a later edit validates them); one that does not fit is kept in the audit event.
    expect(tickets[3]!.tags).toEqual(["phone", "vip"]);
    const dropped = await rows<{ data: { sourceTagsDropped?: string[] } }>(
      org.id,
      sql`select e.org_id, e.data from audit_events e where e.action = 'ticket.imported' and e.data->>'sourceId' = '106'`,
    );
    expect(dropped[0]!.data.sourceTagsDropped).toEqual(["needs space"]);
    expect(iso(t101.created_at)).toBe("2024-01-05T10:00:00.000Z");
    expect(iso(t101.resolved_at)).toBe("2024-01-06T15:30:00.000Z");
    expect(iso(t101.first_response_at)).toBe("2024-01-05T10:30:00.000Z");
    expect(iso(tickets[2]!.closed_at)).toBe("2024-02-03T09:00:00.000Z");
    // The org's counter is past every kept number: the next ticket anyone opens does not collide.
    const seq = await unsafeWithSystem((tx) =>
      tx.execute<{ s: number }>(sql`select ticket_seq as s from orgs where id = ${org.id}`),
    );
    expect(seq.rows[0]!.s).toBe(120);

    const comments = await rows<{
      number: number;
      body: string;
      body_html: string;
      internal: boolean;
      channel: string;
      author: string;
      created_at: Date;
    }>(
      org.id,
      sql`
      select c.org_id, t.number, c.body, c.body_html, c.internal, c.channel::text, u.email as author, c.created_at
      from comments c join tickets t on t.org_id = c.org_id and t.id = c.ticket_id join users u on u.org_id = c.org_id and u.id = c.author_id order by t.number, c.created_at`,
    );
    expect(comments.filter((c) => c.number === 101).map((c) => [c.author, c.internal, c.channel])).toEqual([
      ["carol@globex.example", false, "email"],
      ["bob@acme.example", true, "web"],
      ["bob@acme.example", false, "web"],
      ["carol@globex.example", false, "web"],
    ]);
    // A NUL in the source (PostgreSQL text cannot hold one) is dropped, not the ticket.
    expect(comments.find((c) => c.number === 102)?.body).toBe("I cannot log in");
    // A subject is cut at 200 characters, never inside one.
    expect(Array.from(tickets[4]!.subject)).toHaveLength(200);
    expect(comments.find((c) => c.number === 120)?.body).toBe(
      "No comments list here; the description is the first message.",
    );
    // Source HTML is never trusted: the body is rendered (and sanitized) as Beacon renders any comment.
    const scripted = comments.find((c) => c.body.includes("alert(1)"))!;
    expect(scripted.body_html).not.toContain("<script");
    expect(scripted.body_html).toContain("<strong>Soon</strong>");

    // Search finds an imported ticket by its subject and its public comments, never by an internal note.
    const found = async (q: string) =>
      (
        await rows<{ number: number }>(
          org.id,
          sql`select org_id, number from tickets where search_vector @@ plainto_tsquery('english', ${q}) order by number`,
        )
      ).map((t) => t.number);
    expect(await found("printer")).toEqual([101]);
    expect(await found("sent someone over")).toEqual([101]);
    expect(await found("dispatching facilities")).toEqual([]);
    expect(await found("vendor")).toEqual([]);
    // CCs keep receiving the conversation, except the requester and people the export had no address for.
    const ccs = await rows<{ email: string; number: number }>(
      org.id,
      sql`select c.org_id, c.email, t.number from ticket_ccs c join tickets t on t.org_id = c.org_id and t.id = c.ticket_id`,
    );
    expect(ccs.map((c) => [c.number, c.email])).toEqual([[101, "erin@initech.example"]]);
    // A reply to the imported email thread finds the ticket by its Message-ID.
    const mids = await rows<{ message_id: string; number: number }>(
      org.id,
      sql`select m.org_id, m.message_id, t.number from email_message_ids m join tickets t on t.org_id = m.org_id and t.id = m.ticket_id`,
    );
    expect(mids.map((m) => [m.message_id, m.number])).toEqual([["CAF=abc123@mail.globex.example", 101]]);

    const people = await rows<{ email: string; role: string; password_hash: string | null; blocked: boolean }>(
      org.id,
      sql`select org_id, email, role::text, password_hash, blocked_at is not null as blocked from users order by email`,
    );
    // Zendesk admins come in as agents; nobody gets a password from an export.
    expect(people.find((p) => p.email === "ada@acme.example")).toMatchObject({ role: "agent", password_hash: null });
    expect(people.find((p) => p.email === "zendesk-user-9102@import.invalid")).toMatchObject({
      role: "customer",
      blocked: true,
    });
    const domains = await rows<{ domain: string; name: string }>(
      org.id,
      sql`select d.org_id, d.domain, c.name from customer_org_domains d join customer_orgs c on c.org_id = d.org_id and c.id = d.customer_org_id order by d.domain`,
    );
    expect(domains.map((d) => [d.domain, d.name])).toEqual([
      ["globex-mail.example", "Globex Corporation"],
      ["globex.example", "Globex Corporation"],
    ]);
    // organization_id links the customer and the ticket to the company (decision 062), not only by domain.
    const linked = await rows<{ kind: string; who: string; company: string }>(
      org.id,
      sql`select u.org_id, 'user' as kind, u.email as who, c.name as company from users u
            join customer_orgs c on c.org_id = u.org_id and c.id = u.customer_org_id
          union all
          select t.org_id, 'ticket', t.subject, c.name from tickets t
            join customer_orgs c on c.org_id = t.org_id and c.id = t.customer_org_id
          order by kind`,
    );
    expect(linked.map((l) => [l.kind, l.who, l.company])).toEqual([
      ["ticket", "Printer on fire", "Globex Corporation"],
      ["user", "carol@globex.example", "Globex Corporation"],
    ]);

    const audit = await rows<{ action: string; n: string }>(
      org.id,
      sql`select org_id, action, count(*)::text as n from audit_events where action like '%.imported' group by org_id, action order by action`,
    );
    expect(Object.fromEntries(audit.map((a) => [a.action, Number(a.n)]))).toEqual({
      "customer_org.imported": 2,
      "group.imported": 1,
      "ticket.imported": 6,
      "ticket_field.imported": 2,
      "user.imported": 7,
    });
    // The imported events are links of the org's audit chain like any other: it still verifies.
    const chain = await withTenant(org.id, (tx) => verifyChain(tx, org.id));
    expect(chain).toMatchObject({ valid: true, firstBrokenSeq: null });
    expect(chain.checked).toBeGreaterThanOrEqual(17);
    // History is not recomputed: no SLA policy was applied, no SLA check scheduled.
    expect(await count(org.id, "sla_events")).toBe(0);
    expect(await count(org.id, "sla_checks")).toBe(0);
    // Nothing is sent: no notification, email, webhook or automation job names the org ...
    expect(await jobsOf(org.id)).toBe(jobsBefore);
    // ... where a ticket opened the ordinary way queues its notification (the probe sees a send).
    await newTicket(world.customer, { subject: "after the import" });
    expect(await jobsOf(org.id)).toBeGreaterThan(jobsBefore);
    // The chain's head is where the import left it: an ordinary write after it extends a valid chain.
    expect(await withTenant(org.id, (tx) => verifyChain(tx, org.id))).toMatchObject({
      valid: true,
      checked: chain.checked + 1,
    });
    const done = await loadImport(org.id, r.importId);
    expect(done).toMatchObject({ state: "done", counts: r.counts });
    // The check report reads the first tickets back and compares them with the source field by field:
    // what differs is what the report must show (a null subject, tags Beacon refuses, a cut subject, refused files).
    expect(done.report.ticketSample).toHaveLength(6);
    const differences = done.report.ticketSample!.flatMap((t) =>
      Object.entries(t.compared!)
        .filter(([, c]) => !c.equal)
        .map(([f]) => `${t.sourceId} ${f}`),
    );
    expect(differences.sort()).toEqual(["106 subject", "106 tags", "107 attachments", "107 subject"]);
    expect(done.report.ticketSample!.find((t) => t.sourceId === "101")!.compared!.comments).toEqual({
      source: 4,
      beacon: 4,
      equal: true,
    });
  });

  it("a second import of the same export writes nothing twice and says what was already there", async () => {
    const org = await createOrg();
    await importInto(org.id);
    const first = await snapshot(org.id);
    const again = await importInto(org.id);
    const second = await snapshot(org.id);
    expect(second).toEqual(first);
    expect(again.counts.ticket).toMatchObject({ source: 10, imported: 0, existing: 6 });
    expect(again.counts.comment).toMatchObject({ imported: 0, existing: 12 });
    expect(again.counts.user).toMatchObject({ imported: 0, existing: 6 });
    expect(again.counts.organization).toMatchObject({ imported: 0, existing: 2 });
    expect(again.counts.ticket_field).toMatchObject({ imported: 0, existing: 2 });
  });

  it("interrupted after a batch and resumed, it ends with the same rows and counts as a run that was never stopped", async () => {
    const whole = await createOrg();
    const ref = await importInto(whole.id, FIXTURE, { batchSize: 2 });
    const org = await createOrg();
    // 13 batches of 2: ticket fields (2), groups (1), organizations (2), users (4), memberships (2), then 2 of tickets: mid-tickets.
    const part = await importInto(org.id, FIXTURE, { batchSize: 2, maxBatches: 13 });
    expect(part.finished).toBe(false);
    const mid = await loadImport(org.id, part.importId);
    expect(mid.state).toBe("running");
    expect(Object.values(mid.checkpoint.files).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    const midTickets = await count(org.id, "tickets");
    expect(midTickets).toBeGreaterThan(0);
    expect(midTickets).toBeLessThan(6);
    const resumed = await importInto(org.id, FIXTURE, { batchSize: 2, importId: part.importId });
    expect(resumed.finished).toBe(true);
    expect(resumed.counts).toEqual(ref.counts);
    const [a, b] = [await snapshot(whole.id), await snapshot(org.id)];
    expect(b).toEqual(a);
  });

  it("keeps a ticket number only where it is free, and gives the others numbers after every kept one", async () => {
    const org = await createOrg();
    const owner = await createUser(org, { role: "customer" });
    await unsafeWithSystem(async (tx) => {
      await tx.execute(
        sql`insert into tickets (org_id, number, subject, requester_id) values (${org.id}, 102, 'already here', ${owner.id})`,
      );
      await tx.execute(sql`update orgs set ticket_seq = 102 where id = ${org.id}`);
    });
    const r = await importInto(org.id);
    expect(r.counts.ticket!.notes).toMatchObject({ "number taken in Beacon: given the next free number": 1 });
    const nums = await rows<{ number: number; subject: string }>(
      org.id,
      sql`select org_id, number, subject from tickets order by number`,
    );
    expect(nums.map((n) => [n.number, n.subject])).toEqual([
      [101, "Printer on fire"],
      [102, "already here"],
      [103, "Old ticket from a deleted user"],
      [106, "On hold question"],
      [107, `Pending reply ${"\u{1F600}".repeat(186)}`],
      [120, "From the incremental export"],
      [121, "Password reset"],
    ]);
  });

  it("matches a user whose email the org already has, leaving their role and password alone", async () => {
    const org = await createOrg();
    const admin = await createUser(org, { role: "admin", email: "Bob@acme.example" });
    const r = await importInto(org.id);
    expect(r.counts.user).toMatchObject({ imported: 5, matched: 1 });
    const bob = await rows<{ id: string; role: string; password_hash: string | null }>(
      org.id,
      sql`select org_id, id, role::text, password_hash from users where lower(email) = 'bob@acme.example'`,
    );
    expect(bob).toHaveLength(1);
    expect(bob[0]).toMatchObject({ id: admin.id, role: "admin" });
    expect(bob[0]!.password_hash).not.toBeNull();
  });

  it("a file that stops being JSON, or holds no records, is reported, not a crash", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "zendesk-bad-"));
    writeFileSync(
      path.join(dir, "users.json"),
      '[{"id": 1, "name": "Ok", "email": "ok@example.test", "role": "end-user"}, {"id": 2, "name": ',
    );
    // Year 0 passes the shape check but not PostgreSQL: the batch is retried record by record and only that ticket is skipped.
    writeFileSync(
      path.join(dir, "tickets.ndjson"),
      'not json at all\n{"id": 5, "status": "open", "created_at": "2024-01-01T00:00:00Z", "requester_id": 1, "subject": "fine"}\n[1, 2]\n' +
        '{"id": 6, "status": "open", "created_at": "0000-01-01T00:00:00Z", "requester_id": 1, "subject": "year zero"}\n',
    );
    writeFileSync(path.join(dir, "README.txt"), "not an export file");
    const org = await createOrg();
    const r = await importInto(org.id, dir);
    expect(r.finished).toBe(true);
    expect(r.ignoredFiles).toEqual(["README.txt"]);
    expect(r.counts.user).toMatchObject({ source: 2, imported: 1, skipped: { "not valid JSON": 1 } });
    expect(r.counts.ticket).toMatchObject({
      source: 4,
      imported: 1,
      skipped: { "not valid JSON": 1, "malformed: record": 1, "could not be written": 1 },
    });
    expect(r.report.skippedSample.find((x) => x.type === "ticket" && x.sourceId === "6")?.reason).toMatch(
      /out of range/,
    );
    expect(r.report.skippedSample.find((s) => s.type === "user")?.reason).toMatch(/not valid JSON after record 1/);
  });

  it("an import into one org never reads or writes another's rows, imports or id map", async () => {
    const [a, b] = [await createOrg(), await createOrg()];
    const dir = mkdtempSync(path.join(os.tmpdir(), "zendesk-two-"));
    cpSync(FIXTURE, dir, { recursive: true });
    const ra = await importInto(a.id, dir);
    const before = await snapshot(b.id);
    // The same export into B: B gets its own copy (A's id map is not B's), A is untouched.
    const aBefore = await snapshot(a.id);
    const rb = await importInto(b.id, dir);
    expect(rb.counts.ticket).toMatchObject({ imported: 6, existing: 0 });
    expect(before.tickets).toBe(0);
    expect(await snapshot(a.id)).toEqual(aBefore);
    // B's tenant transaction sees neither A's import nor A's id map; A's import id is a 404 from B.
    const seen = await withTenant(b.id, async (tx) => ({
      imports: (await tx.select({ orgId: imports.orgId }).from(imports)).map((r) => r.orgId),
      map: [...new Set((await tx.select({ orgId: importIdMap.orgId }).from(importIdMap)).map((r) => r.orgId))],
    }));
    expect(seen).toEqual({ imports: [b.id], map: [b.id] });
    await expect(loadImport(b.id, ra.importId)).rejects.toMatchObject({ code: "not_found" });
    // Resuming A's import as B is refused before anything is read.
    await expect(runZendeskImport({ orgId: b.id, importId: ra.importId, input: dir })).rejects.toMatchObject({
      code: "not_found",
    });
    // RLS is the second wall: B's transaction cannot write a map row for A.
    await expect(
      withTenant(b.id, (tx) =>
        tx
          .insert(importIdMap)
          .values({ orgId: a.id, sourceKind: "zendesk", sourceType: "ticket", sourceId: "999", beaconId: ra.importId }),
      ),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
    await expect(
      withTenant(b.id, (tx) => tx.insert(imports).values({ orgId: a.id, sourceKind: "zendesk", source: "sneaky" })),
    ).rejects.toMatchObject({ cause: { code: "42501" } });
    // An update aimed at A's import from B's transaction touches nothing.
    const moved = await withTenant(b.id, (tx) =>
      tx.update(imports).set({ state: "failed" }).where(eq(imports.id, ra.importId)).returning(),
    );
    expect(moved).toEqual([]);
    expect((await loadImport(a.id, ra.importId)).state).toBe("done");
  });
});

// Each run boots a process (tsx, the schema check): seconds apiece on a shared two-core machine.
describe("npm run import", () => {
  const cli = (args: string[]) => runScript("import.ts", args, { drop: ["BEACON_EMBEDDED_DB"] });

  it("imports into the org named by slug and prints the check report; a wrong slug or source is refused", async () => {
    const org = await createOrg();
    const r = await cli(["zendesk", FIXTURE, "--org", org.slug]);
    expect(r.stderr).toContain("tickets.json: ticket records 1-9 done");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ticket\s+10\s+6\s+0\s+0\s+4$/m);
    expect(r.stdout).toContain("skipped 1: deleted in Zendesk");
    expect(r.stdout).toContain("skipped 1: refused by the outbound guard");
    expect(r.stdout).toContain("Sample: 6 tickets compared field by field, 4 differences:");
    expect(r.stdout).toContain(`bytes: 52434927 in the source, ${PICTURE.length} stored`);
    expect(await count(org.id, "tickets")).toBe(6);
    expect((await cli(["zendesk", FIXTURE, "--org", "no-such-org"])).code).toBe(3);
    expect((await cli(["no-such-source", FIXTURE, "--org", org.slug])).code).toBe(2);
    expect((await cli(["zendesk", path.join(FIXTURE, "nope"), "--org", org.slug])).code).toBe(2);
  }, 90_000);

  it("killed with SIGKILL mid-import and resumed with --resume, it ends where an uninterrupted import does", async () => {
    const ref = await createOrg();
    const whole = await importInto(ref.id, FIXTURE, { batchSize: 1 });
    const org = await createOrg();
    const env: NodeJS.ProcessEnv = { ...process.env };
    delete env.BEACON_EMBEDDED_DB;
    const child = spawn(
      process.execPath,
      [path.join(ROOT, "scripts/run.mjs"), "import.ts", "zendesk", FIXTURE, "--org", org.slug, "--batch-size", "1"],
      { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    const killed = new Promise<void>((resolve) => {
      child.stderr!.setEncoding("utf8").on("data", (d: string) => {
        stderr += d;
        if (stderr.includes("tickets.json: ticket records 1-2 done")) child.kill("SIGKILL");
      });
      child.on("close", () => resolve());
    });
    await killed;
    expect(child.signalCode).toBe("SIGKILL");
    const importId = /^import ([0-9a-f-]{36})/m.exec(stderr)![1]!;
    expect((await loadImport(org.id, importId)).state).toBe("running");
    expect(await count(org.id, "tickets")).toBeLessThan(6);
    const resumed = await cli(["zendesk", FIXTURE, "--org", org.slug, "--resume", importId, "--json"]);
    expect(resumed.code).toBe(0);
    const out = JSON.parse(resumed.stdout) as { finished: boolean; counts: unknown };
    expect(out.finished).toBe(true);
    expect(out.counts).toEqual(whole.counts);
    expect(await snapshot(org.id)).toEqual(await snapshot(ref.id));
  }, 90_000);
});
