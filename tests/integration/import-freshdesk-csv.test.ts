import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { importIdMap, imports } from "../../src/server/db/schema/imports";
import { ticketFields } from "../../src/server/db/schema/workspace";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { createImport, loadImport } from "../../src/server/import/import-run";
import { importRunner } from "../../src/server/import/run-import";
import { parseCsvMapping } from "../../src/server/import/csv/mapping";
import { validateCsvImport } from "../../src/server/import/csv/import-csv";
import { db } from "../../src/server/db/client";
import { createOrg, createUser } from "../helpers/factories";
import { png } from "../helpers/png";
import { runScript } from "../helpers/run-script";
import { createWorld } from "../helpers/world";

// Importing from Freshdesk (API v2 JSON as a migration tool saves it) and from a CSV file read by a
// column mapping (decision 056), on the foundation of decision 053: checkpointed batches, the id
// map, nothing sent, every record audited as imported, attachments only through the outbound guard.

const FIXTURES = path.resolve(import.meta.dirname, "../fixtures/import");
const CSV = path.join(FIXTURES, "csv");
let FRESHDESK: string;
let server: Server;
const PICTURE = png(2, 2);

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === "/files/receipt.png")
      return res.writeHead(200, { "content-type": "image/png", "content-length": PICTURE.length }).end(PICTURE);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  FRESHDESK = mkdtempSync(path.join(os.tmpdir(), "freshdesk-fixture-"));
  const source = path.join(FIXTURES, "freshdesk");
  for (const f of readdirSync(source))
    writeFileSync(
      path.join(FRESHDESK, f),
      readFileSync(path.join(source, f), "utf8").replaceAll("https://acme.freshdesk.com", base),
    );
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

type Kind = "freshdesk" | "csv";
async function importInto(
  orgId: string,
  kind: Kind,
  input: string,
  opts: { batchSize?: number; maxBatches?: number; importId?: string; options?: Record<string, unknown> } = {},
) {
  const importId =
    opts.importId ??
    (await createImport(orgId, { sourceKind: kind, source: input, createdBy: null, options: opts.options })).id;
  const result = await importRunner(kind)!({
    orgId,
    importId,
    input,
    batchSize: opts.batchSize,
    maxBatches: opts.maxBatches,
  });
  return { importId, ...result };
}
const mapping = (name: string) => JSON.parse(readFileSync(path.join(CSV, name), "utf8")) as Record<string, unknown>;

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  unsafeWithSystem(async (tx) => (await tx.execute<T>(query)).rows);
const TABLES = [
  "tickets",
  "comments",
  "attachments",
  "ticket_ccs",
  "ticket_fields",
  "groups",
  "group_members",
  "users",
  "customer_orgs",
  "customer_org_domains",
  "import_id_map",
  "audit_events",
];
const snapshot = async (orgId: string) => {
  const out: Record<string, number> = {};
  for (const t of TABLES)
    out[t] = Number(
      (await q<{ n: string }>(sql`select count(*)::text as n from ${sql.identifier(t)} where org_id = ${orgId}`))[0]!.n,
    );
  return out;
};
/** Everything an org's import could have queued: any pg-boss job whose data names the org. */
const jobsOf = async (orgId: string) =>
  Number(
    (await db().execute<{ n: string }>(sql`select count(*)::text as n from pgboss.job where data->>'orgId' = ${orgId}`))
      .rows[0]!.n,
  );
const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

describe("Freshdesk import", () => {
  it("imports fields, companies, contacts, agents, groups, tickets and conversations as they were, and skips what it cannot with why", async () => {
    // A world has SLA policies and agents to notify: the import must use none of it.
    const world = await createWorld();
    const org = world.org;
    const jobsBefore = await jobsOf(org.id);
    const r = await importInto(org.id, "freshdesk", FRESHDESK);
    expect(r.finished).toBe(true);
    expect(r.ignoredFiles).toEqual(["README-not-read.csv"]);
    expect(r.counts).toMatchObject({
      ticket_field: {
        source: 5,
        imported: 2,
        skipped: {
          "a Freshdesk default field (imported into Beacon's own columns)": 2,
          "a field type Beacon does not have": 1,
        },
      },
      company: { source: 2, imported: 1, skipped: { "malformed: name": 1 } },
      contact: { source: 4, imported: 3, skipped: { "deleted in Freshdesk": 1 } },
      agent: { source: 3, imported: 2, skipped: { "malformed: contact": 1 } },
      group: { source: 1, imported: 1 },
      ticket: { source: 7, imported: 5, skipped: { "spam in Freshdesk": 1, "malformed: status": 1 } },
      comment: {
        source: 12,
        imported: 9,
        skipped: {
          "malformed: created_at": 1,
          "its ticket was skipped": 1,
          "its ticket was not imported": 1,
        },
      },
      attachment: { source: 2, imported: 1, skipped: { "refused by the outbound guard": 1 } },
    });
    expect(r.counts.contact!.notes).toEqual({ "no usable email: given a placeholder address": 1 });
    expect(r.counts.ticket!.notes).toMatchObject({
      "a custom Freshdesk status: imported as open (its code is in the audit event)": 1,
    });

    const tickets = await q<Record<string, unknown>>(sql`
      select t.number, t.subject, t.status::text, t.priority::text, t.tags, t.custom_fields, t.created_at, t.updated_at,
        t.resolved_at, t.first_response_at, r.email as requester, a.email as assignee, g.name as team
      from tickets t join users r on r.id = t.requester_id left join users a on a.id = t.assignee_id
      left join groups g on g.id = t.group_id where t.org_id = ${org.id} order by t.number`);
    expect(tickets.map((t) => [t.number, t.status, t.priority, t.requester, t.assignee, t.team])).toEqual([
      [201, "solved", "urgent", "carol@globex.example", "alice@acme.example", "Billing"],
      [202, "open", "low", "freshdesk-user-3002@import.invalid", null, null],
      [203, "pending", "high", "eve@initech.example", "bob@acme.example", null],
      [204, "closed", "normal", "freshdesk-user-4444@import.invalid", "alice@acme.example", null],
      [205, "open", "normal", "carol@globex.example", null, null],
    ]);
    const t201 = tickets[0]!;
    expect(t201.custom_fields).toEqual({ freshdesk_order_number: "A-1001", freshdesk_product: "Widget" });
    expect([iso(t201.created_at as string), iso(t201.updated_at as string), iso(t201.resolved_at as string)]).toEqual([
      "2024-03-01T10:00:00.000Z",
      "2024-03-02T16:00:00.000Z",
      "2024-03-02T16:00:00.000Z",
    ]);
    expect(iso(t201.first_response_at as string)).toBe("2024-03-01T12:00:00.000Z");
    // Conversations from the separate file land on their ticket; the agent's reply is its first response.
    expect(iso(tickets[1]!.first_response_at as string)).toBe("2024-03-05T11:00:00.000Z");

    const comments = await q<{
      number: number;
      author: string;
      body: string;
      internal: boolean;
      channel: string;
      created_at: string;
    }>(sql`
      select t.number, u.email as author, c.body, c.internal, c.channel::text, c.created_at from comments c
      join tickets t on t.id = c.ticket_id join users u on u.id = c.author_id
      where c.org_id = ${org.id} order by t.number, c.created_at`);
    expect(comments.map((c) => [c.number, c.author, c.body, c.internal, c.channel, iso(c.created_at)])).toEqual([
      [201, "carol@globex.example", "I was charged twice.", false, "email", "2024-03-01T10:00:00.000Z"],
      [201, "bob@acme.example", "Checked the ledger", true, "web", "2024-03-01T11:00:00.000Z"],
      [201, "alice@acme.example", "Refunded. You will see it in 3 days.", false, "email", "2024-03-01T12:00:00.000Z"],
      [202, "freshdesk-user-3002@import.invalid", "It has been two weeks.", false, "web", "2024-03-05T09:00:00.000Z"],
      [202, "bob@acme.example", "It is on its way.", false, "email", "2024-03-05T11:00:00.000Z"],
      [202, "freshdesk-user-3002@import.invalid", "Got it, thanks", false, "email", "2024-03-06T08:00:00.000Z"],
      [203, "eve@initech.example", "Phoned in: **printer** broken", false, "web", "2024-03-06T09:00:00.000Z"],
      [204, "freshdesk-user-4444@import.invalid", "Old", false, "web", "2023-12-01T09:00:00.000Z"],
      [205, "carol@globex.example", "Waiting on a third party", false, "email", "2024-03-07T09:00:00.000Z"],
    ]);
    // The description's attachment, through the guard and the content inspector; the CC without the requester.
    const files = await q<{ filename: string; size_bytes: number }>(
      sql`select filename, size_bytes::int from attachments where org_id = ${org.id}`,
    );
    expect(files).toEqual([{ filename: "receipt.png", size_bytes: PICTURE.length }]);
    expect(await q(sql`select email from ticket_ccs where org_id = ${org.id}`)).toEqual([
      { email: "frank@globex.example" },
    ]);
    const members = await q<{ email: string }>(sql`
      select u.email from group_members m join users u on u.id = m.user_id where m.org_id = ${org.id} order by u.email`);
    expect(members.map((m) => m.email)).toEqual(["alice@acme.example", "bob@acme.example"]);
    expect(await q(sql`select name from customer_orgs where org_id = ${org.id}`)).toEqual([{ name: "Globex" }]);

    // Nothing sent, every record audited as imported, the chain intact; the sample compared field by field.
    expect(await jobsOf(org.id)).toBe(jobsBefore);
    const actions = await q<{ action: string; n: number }>(sql`
      select action, count(*)::int as n from audit_events where org_id = ${org.id} group by action order by action`);
    expect(Object.fromEntries(actions.map((a) => [a.action, a.n]))).toEqual({
      "comment.imported": 2,
      "customer_org.imported": 1,
      "group.imported": 1,
      "ticket.imported": 5,
      "ticket_field.imported": 2,
      "user.imported": 6,
    });
    expect(await withTenant(org.id, (tx) => verifyChain(tx, org.id))).toMatchObject({ valid: true });
    const sample = r.report.ticketSample!;
    expect(sample).toHaveLength(5);
    expect(sample.find((s) => s.sourceId === "202")!.compared!.comments).toEqual({ source: 3, beacon: 3, equal: true });
    expect(r.report.skippedSample.find((s) => s.type === "attachment")?.reason).toMatch(/^ledger\.csv: /);
  });

  it("run again it writes nothing twice; interrupted and resumed it ends where an uninterrupted run does", async () => {
    const whole = await createOrg();
    const ref = await importInto(whole.id, "freshdesk", FRESHDESK, { batchSize: 2 });
    const first = await snapshot(whole.id);
    const again = await importInto(whole.id, "freshdesk", FRESHDESK, { batchSize: 2 });
    expect(await snapshot(whole.id)).toEqual(first);
    expect(again.counts.ticket).toMatchObject({ source: 7, imported: 0, existing: 5 });
    expect(again.counts.comment).toMatchObject({ imported: 0, existing: 9 });

    const org = await createOrg();
    const part = await importInto(org.id, "freshdesk", FRESHDESK, { batchSize: 2, maxBatches: 10 });
    expect(part.finished).toBe(false);
    expect((await loadImport(org.id, part.importId)).state).toBe("running");
    // 9 batches of 2 for fields, companies, people and groups, then the first 2 tickets.
    expect((await snapshot(org.id)).tickets).toBe(2);
    const resumed = await importInto(org.id, "freshdesk", FRESHDESK, { batchSize: 2, importId: part.importId });
    expect(resumed.finished).toBe(true);
    expect(resumed.counts).toEqual(ref.counts);
    expect(await snapshot(org.id)).toEqual(first);
  });

  it("an import into one org never touches another's rows, imports or id map", async () => {
    const [a, b] = [await createOrg(), await createOrg()];
    const ra = await importInto(a.id, "freshdesk", FRESHDESK);
    const aBefore = await snapshot(a.id);
    const rb = await importInto(b.id, "freshdesk", FRESHDESK);
    expect(rb.counts.ticket).toMatchObject({ imported: 5, existing: 0 });
    expect(await snapshot(a.id)).toEqual(aBefore);
    const seen = await withTenant(b.id, async (tx) => ({
      imports: (await tx.select({ orgId: imports.orgId }).from(imports)).map((r) => r.orgId),
      map: [...new Set((await tx.select({ orgId: importIdMap.orgId }).from(importIdMap)).map((r) => r.orgId))],
    }));
    expect(seen).toEqual({ imports: [b.id], map: [b.id] });
    await expect(
      importRunner("freshdesk")!({ orgId: b.id, importId: ra.importId, input: FRESHDESK }),
    ).rejects.toMatchObject({ code: "not_found" });
  });
});

describe("CSV import", () => {
  it("maps columns to tickets: statuses, priorities, tags, dates, people, groups and fields; bad rows are skipped with why", async () => {
    const org = await createOrg();
    await createUser(org, { role: "agent", email: "alice@acme.example" });
    await withTenant(org.id, (tx) =>
      tx.insert(ticketFields).values({ orgId: org.id, key: "order_number", label: "Order", type: "integer" }),
    );
    const jobsBefore = await jobsOf(org.id);
    const file = path.join(CSV, "tickets.csv");
    const r = await importInto(org.id, "csv", file, { options: mapping("tickets-map.json") });
    expect(r.finished).toBe(true);
    expect(r.counts.ticket).toMatchObject({
      source: 8,
      imported: 3,
      skipped: {
        "malformed: cell count": 1,
        "malformed: requester_email": 1,
        "unknown status": 1,
        "duplicate external id: imported from another row": 1,
        "malformed: created_at": 1,
      },
    });
    expect(r.counts.comment).toMatchObject({ imported: 3 });
    const tickets = await q<Record<string, unknown>>(sql`
      select t.subject, t.status::text, t.priority::text, t.tags, t.custom_fields, t.created_at, t.updated_at,
        r.email as requester, r.name as requester_name, a.email as assignee, g.name as team, c.body
      from tickets t join users r on r.id = t.requester_id left join users a on a.id = t.assignee_id
      left join groups g on g.id = t.group_id join comments c on c.ticket_id = t.id
      where t.org_id = ${org.id} order by t.created_at`);
    expect(
      tickets.map((t) => [
        t.subject,
        t.status,
        t.priority,
        t.tags,
        t.requester,
        t.assignee,
        t.team,
        iso(t.created_at as string),
      ]),
    ).toEqual([
      [
        "Cannot log in",
        "solved",
        "high",
        ["login", "vip"],
        "carol@globex.example",
        "alice@acme.example",
        "Support",
        "2024-01-05T10:00:00.000Z",
      ],
      [
        "Printer jammed",
        "open",
        "normal",
        ["hardware"],
        "dan@initech.example",
        null,
        "Support",
        "2024-01-07T00:00:00.000Z",
      ],
      ["No id here", "closed", "low", [], "frank@globex.example", null, null, "2024-01-09T00:00:00.000Z"],
    ]);
    // The quoted cell keeps its lines, commas and quotes; a byte that is not UTF-8 becomes U+FFFD, not a crash.
    expect(tickets[0]!.body).toBe('Line one\nLine two, with a comma and "quotes"');
    expect(tickets[2]!.body).toBe("Caf\uFFFD au lait");
    expect(tickets[0]!.custom_fields).toEqual({ order_number: 1001 });
    expect(iso(tickets[0]!.updated_at as string)).toBe("2024-01-06T15:30:00.000Z");
    expect(tickets[0]!.requester_name).toBe("Carol Customer");
    expect(await jobsOf(org.id)).toBe(jobsBefore);
    expect(await withTenant(org.id, (tx) => verifyChain(tx, org.id))).toMatchObject({ valid: true });
    expect(r.report.skippedSample.find((s) => s.record === 4)?.reason).toMatch(/"Limbo": add it to statusValues/);
    // The file read as windows-1252 (the mapping's encoding), the same byte is é; a new import of the
    // edited mapping writes only what the first skipped (the id map knows the rest).
    const other = await createOrg();
    await importInto(other.id, "csv", file, { options: { ...mapping("tickets-map.json"), encoding: "windows-1252" } });
    expect(await q(sql`select body from comments where org_id = ${other.id} and body like 'Caf%'`)).toEqual([
      { body: "Café au lait" },
    ]);
    const fixed = await importInto(org.id, "csv", file, {
      options: {
        ...mapping("tickets-map.json"),
        statusValues: { Offen: "open", Resolved: "solved", Limbo: "on_hold" },
      },
    });
    expect(fixed.counts.ticket).toMatchObject({
      imported: 1,
      existing: 3,
      skipped: { "duplicate external id: imported from another row": 1 },
    });
  });

  it("reads comment rows: one ticket per external id, each row a comment; resumed and re-run, each row lands once", async () => {
    const file = path.join(CSV, "messages.csv");
    const options = mapping("messages-map.json");
    const whole = await createOrg();
    await createUser(whole, { role: "agent", email: "alice@acme.example" });
    const ref = await importInto(whole.id, "csv", file, { batchSize: 2, options });
    expect(ref.counts.ticket).toMatchObject({ source: 2, imported: 2 });
    expect(ref.counts.comment).toMatchObject({ source: 4, imported: 4 });
    const rows = await q<{ subject: string; author: string; body: string; internal: boolean; first: string }>(sql`
      select t.subject, u.email as author, c.body, c.internal, t.first_response_at as first from comments c
      join tickets t on t.id = c.ticket_id join users u on u.id = c.author_id where c.org_id = ${whole.id} order by c.created_at`);
    expect(rows.map((c) => [c.subject, c.author, c.body, c.internal])).toEqual([
      ["Order missing", "carol@globex.example", "Where is my order?", false],
      ["Order missing", "alice@acme.example", "Looking into it", true],
      ["Order missing", "alice@acme.example", "It ships today.\nTracking: 123", false],
      ["Hello", "eve@initech.example", "Hi there", false],
    ]);
    // The agent's public reply came in the second batch, apart from its ticket: it is still the first response.
    expect(iso(rows[0]!.first)).toBe("2024-02-01T11:00:00.000Z");
    const first = await snapshot(whole.id);
    const again = await importInto(whole.id, "csv", file, { batchSize: 2, options });
    expect(again.counts.ticket).toMatchObject({ source: 2, imported: 0, existing: 2 });
    expect(again.counts.comment).toMatchObject({ source: 4, imported: 0, existing: 4 });
    expect(await snapshot(whole.id)).toEqual(first);

    const org = await createOrg();
    await createUser(org, { role: "agent", email: "alice@acme.example" });
    const part = await importInto(org.id, "csv", file, { batchSize: 2, maxBatches: 1, options });
    expect(part.finished).toBe(false);
    const resumed = await importInto(org.id, "csv", file, { batchSize: 2, importId: part.importId });
    expect(resumed.counts).toEqual(ref.counts);
    expect(await snapshot(org.id)).toEqual(first);
  });

  it("refuses a mapping with a bad key, a missing required column or a column the file lacks, naming each; a broken file is reported, not a crash", async () => {
    const file = path.join(CSV, "tickets.csv");
    expect(() => parseCsvMapping({ columns: { subject: "Title" }, colour: "blue" })).toThrow(
      /columns\.requester_email: .*; mapping: unknown key colour/,
    );
    expect(() => parseCsvMapping({ columns: { subject: "Title", requester_email: "Email", titel: "x" } })).toThrow(
      /columns: unknown key titel/,
    );
    expect(() =>
      parseCsvMapping({ columns: { subject: "Title", requester_email: "Email" }, statusValues: { Offen: "opened" } }),
    ).toThrow(/statusValues\.Offen/);
    expect(() =>
      parseCsvMapping({ columns: { subject: "Title", requester_email: "Email", comment_body: "Body" } }),
    ).toThrow(/columns\.external_id: comment rows need an external_id column/);
    // A quote never closed ends the file with one reported error: the rows before it are imported.
    const dir = mkdtempSync(path.join(os.tmpdir(), "csv-broken-"));
    const broken = path.join(dir, "broken.csv");
    writeFileSync(broken, 'Title,Email\nFine,carol@globex.example\n"Never closed,eve@initech.example\n');
    const org = await createOrg();
    const r = await importInto(org.id, "csv", broken, {
      options: { columns: { subject: "Title", requester_email: "Email" } },
    });
    expect(r.counts.ticket).toMatchObject({ source: 2, imported: 1, skipped: { "not valid CSV": 1 } });
    expect(r.report.skippedSample[0]!.reason).toMatch(/not valid CSV after row 1/);
    await expect(
      validateCsvImport(file, {
        columns: { subject: "Subject", requester_email: "Email" },
        customFields: { size: "Size" },
      }),
    ).rejects.toMatchObject({
      code: "validation_failed",
      message: expect.stringMatching(
        /columns\.subject: no column "Subject" in the file; customFields\.size: no column "Size"/,
      ),
    });
  });
});

// Each run boots a process (tsx, the schema check): seconds apiece on a shared two-core machine.
describe("npm run import (freshdesk, csv)", () => {
  const cli = (args: string[]) => runScript("import.ts", args, { drop: ["BEACON_EMBEDDED_DB"] });

  it("imports a CSV with --map (kept as the import's options), refuses a bad mapping and --map for other kinds; imports Freshdesk", async () => {
    const org = await createOrg();
    const dir = mkdtempSync(path.join(os.tmpdir(), "csv-map-"));
    const bad = path.join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ columns: { subject: "Nope", requester_email: "Email" } }));
    const refused = await cli(["csv", path.join(CSV, "tickets.csv"), "--org", org.slug, "--map", bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('columns.subject: no column "Nope" in the file');
    expect((await cli(["freshdesk", FRESHDESK, "--org", org.slug, "--map", bad])).code).toBe(2);
    const r = await cli([
      "csv",
      path.join(CSV, "messages.csv"),
      "--org",
      org.slug,
      "--map",
      path.join(CSV, "messages-map.json"),
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ticket\s+2\s+2\s+0\s+0\s+0$/m);
    expect(await snapshot(org.id)).toMatchObject({ tickets: 2, comments: 4 });
    const [imp] = await withTenant(org.id, (tx) => tx.select().from(imports));
    expect(imp!.options).toMatchObject({ columns: { comment_body: "Message" } });
    // Freshdesk through the same command: the check report with Freshdesk's own record types.
    const fd = await createOrg();
    const f = await cli(["freshdesk", FRESHDESK, "--org", fd.slug]);
    expect(f.code).toBe(0);
    expect(f.stdout).toMatch(/^ticket\s+7\s+5\s+0\s+0\s+2$/m);
    expect(f.stdout).toContain("skipped 1: refused by the outbound guard");
    expect(f.stdout).toContain("Files not read (not JSON, or not named for a record type): README-not-read.csv");
  }, 90_000);
});
