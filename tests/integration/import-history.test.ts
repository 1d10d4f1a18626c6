import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { buffer } from "node:stream/consumers";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storage } from "../../src/server/attachments/configured-storage";
import { db } from "../../src/server/db/client";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { verifyChain } from "../../src/server/audit/verify-chain";
import { formatCheckReport } from "../../src/server/import/check-report";
import { createImport } from "../../src/server/import/import-run";
import { runFreshdeskImport } from "../../src/server/import/freshdesk/import-freshdesk";
import { extractZip } from "../../src/server/import/upload/zip";
import { runZendeskImport } from "../../src/server/import/zendesk/import-zendesk";
import { createOrg } from "../helpers/factories";
import { png } from "../helpers/png";
import { createWorld } from "../helpers/world";
import { makeZip } from "../helpers/zip";

// Recorded history from other helpdesks (issue 17 item 1, decision 061): Zendesk's ticket metric
// events as SLA events, ticket metrics as first reply and resolution times, satisfaction ratings
// (separate and inside tickets), attachment files given in the export; Freshdesk's escalation
// flags, due dates, stats and satisfaction ratings. The fixtures are in the documented shapes:
// incremental export pages (`{"ticket_metric_events": [...]}`), the account export's NDJSON tickets
// with `satisfaction_rating` and `metric_set` inside, Freshdesk API v2 arrays.

const ZENDESK_SOURCE = path.resolve(import.meta.dirname, "../fixtures/import/zendesk-history");
const FRESHDESK = path.resolve(import.meta.dirname, "../fixtures/import/freshdesk-history");
const PICTURE = png(6, 6);
const SHOT = png(3, 3);
const EXE = Buffer.concat([
  Buffer.from("MZ\x90\x00", "latin1"),
  Buffer.alloc(60),
  Buffer.from("PE\0\0", "latin1"),
  Buffer.alloc(4000, 1),
]);
let ZENDESK: string;
let server: Server;
let downloads: string[] = [];

/** The fixture as an export folder: its JSON with URLs pointed at a local stand-in for Zendesk, and attachment files beside it. */
function zendeskExport(base: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "zendesk-history-"));
  for (const f of readdirSync(ZENDESK_SOURCE))
    writeFileSync(
      path.join(dir, f),
      readFileSync(path.join(ZENDESK_SOURCE, f), "utf8").replaceAll("https://acme.zendesk.com", base),
    );
  // 8001 is given as a file (its URL answers 404: the file must be what is stored); 8002 only by URL; 8003 is a program.
  mkdirSync(path.join(dir, "attachments", "8001"), { recursive: true });
  writeFileSync(path.join(dir, "attachments", "8001", "invoice.png"), PICTURE);
  mkdirSync(path.join(dir, "attachments", "8003"), { recursive: true });
  writeFileSync(path.join(dir, "attachments", "8003", "tool.exe"), EXE);
  // A JSON file among the attachments is a file, not records to read.
  mkdirSync(path.join(dir, "attachments", "8004"), { recursive: true });
  writeFileSync(path.join(dir, "attachments", "8004", "tickets.json"), '[{"id": 1}]');
  return dir;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    downloads.push(req.url!);
    const u = new URL(req.url!, "http://x");
    if (u.pathname === "/attachments/token/shot/")
      return res.writeHead(200, { "content-type": "image/png", "content-length": SHOT.length }).end(SHOT);
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  ZENDESK = zendeskExport(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function importZendesk(orgId: string, input = ZENDESK, opts: { batchSize?: number; maxBatches?: number } = {}) {
  const importId = (await createImport(orgId, { sourceKind: "zendesk", source: input, createdBy: null })).id;
  let r = await runZendeskImport({ orgId, importId, input, ...opts });
  // Resumed run after run, as the import job does, until it finishes.
  while (!r.finished) r = await runZendeskImport({ orgId, importId, input, ...opts });
  return { importId, ...r };
}

const query = async <T extends Record<string, unknown>>(q: ReturnType<typeof sql>) =>
  unsafeWithSystem(async (tx) => (await tx.execute<T>(q)).rows);
const countOf = async (orgId: string, table: string) =>
  Number(
    (
      await query<{ n: string }>(sql`select count(*)::text as n from ${sql.identifier(table)} where org_id = ${orgId}`)
    )[0]!.n,
  );
const jobsOf = async (orgId: string) =>
  Number(
    (await db().execute<{ n: string }>(sql`select count(*)::text as n from pgboss.job where data->>'orgId' = ${orgId}`))
      .rows[0]!.n,
  );
const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

/** The org's SLA events as "number metric.kind due", in time order, with their data. */
const slaEventsOf = async (orgId: string) =>
  query<{
    number: number;
    metric: string;
    kind: string;
    at: string;
    due_at: string | null;
    data: Record<string, unknown>;
  }>(sql`
    select t.number, e.metric::text, e.kind::text, e.at, e.due_at, e.data from sla_events e
    join tickets t on t.org_id = e.org_id and t.id = e.ticket_id
    where e.org_id = ${orgId} order by t.number, e.at, e.metric, e.kind`);

const HISTORY_TABLES = [
  "tickets",
  "comments",
  "attachments",
  "sla_events",
  "csat_ratings",
  "import_id_map",
  "audit_events",
];
const snapshot = async (orgId: string) =>
  Object.fromEntries(await Promise.all(HISTORY_TABLES.map(async (t) => [t, await countOf(orgId, t)] as const)));

describe("Zendesk history", () => {
  it("imports SLA events as recorded, ratings, recorded times and the export's attachment files, and sends nothing", async () => {
    // A world has SLA policies for every priority and agents to notify: the import must use none of it.
    const world = await createWorld();
    const org = world.org;
    const jobsBefore = await jobsOf(org.id);
    downloads = [];
    const r = await importZendesk(org.id);
    expect(r.finished).toBe(true);

    expect(r.counts.ticket).toMatchObject({ source: 4, imported: 4 });
    expect(r.counts.sla_event).toEqual({
      source: 15,
      imported: 7,
      existing: 0,
      matched: 0,
      skipped: {
        "the clock's start with the ticket (its creation records it)": 1,
        "a metric Beacon has no SLA for (agent_work_time)": 1,
        "a metric Beacon has no SLA for (requester_wait_time)": 1,
        "a measurement, not an event (Beacon's history has none)": 1,
        "a breach Zendesk deleted (its SLA no longer applied)": 1,
        "malformed: time": 1,
        "its ticket was not imported": 1,
        "the same breach is recorded already": 1,
      },
    });
    expect(r.counts.satisfaction_rating).toEqual({
      source: 8,
      imported: 3,
      existing: 1,
      matched: 0,
      skipped: {
        "a survey offered and not answered": 2,
        "malformed: score": 1,
        "its ticket was not imported": 1,
      },
    });
    expect(r.counts.ticket_metric).toMatchObject({
      source: 3,
      imported: 2,
      skipped: { "malformed: reply_time_in_minutes": 1 },
    });
    // The incremental export's sideload (include=metric_sets) is read from its unnamed page.
    expect(r.counts.metric_set).toMatchObject({ source: 1, imported: 1 });
    // Faults are in the report's sample; records left out by design (unanswered surveys, other metrics) are only counted.
    const sampled = r.report.skippedSample.map((s) => `${s.type} ${s.sourceId ?? "?"}: ${s.reason}`);
    expect(sampled.filter((s) => !s.startsWith("attachment"))).toEqual([
      expect.stringMatching(/^sla_event 50013: /),
      "sla_event 50014: its ticket was not imported",
      expect.stringMatching(/^ticket_metric 7003: /),
      expect.stringMatching(/^satisfaction_rating 603: /),
      "satisfaction_rating 604: its ticket was not imported",
    ]);

    // The events as Zendesk recorded them, mapped to Beacon's metrics and kinds, each marked imported.
    const events = await slaEventsOf(org.id);
    expect(events.map((e) => [e.number, `${e.metric}.${e.kind}`, iso(e.at), iso(e.due_at)])).toEqual([
      [201, "first_response.apply", "2024-03-01T09:00:01.000Z", null],
      [201, "resolution.apply", "2024-03-01T09:00:01.000Z", null],
      [201, "first_response.fulfill", "2024-03-01T09:30:00.000Z", null],
      [201, "next_response.apply", "2024-03-01T11:00:00.000Z", null],
      [201, "resolution.breach", "2024-03-01T17:00:00.000Z", "2024-03-01T17:00:00.000Z"],
      [201, "resolution.fulfill", "2024-03-02T10:00:00.000Z", null],
      [202, "first_response.breach", "2024-03-02T09:00:00.000Z", "2024-03-02T09:00:00.000Z"],
    ]);
    for (const e of events) expect(e.data).toMatchObject({ imported: true, source: "zendesk", importId: r.importId });
    expect(events[0]!.data).toMatchObject({
      sourceId: "50002",
      policy: "High priority",
      policyId: "25",
      targetMinutes: 60,
      businessHours: false,
    });
    // Nothing computed: no due dates from Beacon's policies, nothing for the SLA scan to look at, no job queued.
    expect(await countOf(org.id, "sla_checks")).toBe(0);
    const dues = await query<{ n: string }>(
      sql`select count(*)::text as n from tickets where org_id = ${org.id} and (first_response_due is not null or resolve_due is not null)`,
    );
    expect(Number(dues[0]!.n)).toBe(0);
    expect(await jobsOf(org.id)).toBe(jobsBefore);

    // Ratings: the ticket's own (201) and the file's (202, "bad_with_comment"), with the ticket's requester and assignee.
    const ratings = await query<{
      number: number;
      rating: string;
      comment: string;
      requester: string;
      assignee: string | null;
      updated_at: string;
    }>(sql`
      select t.number, c.rating::text, c.comment, u.email as requester, a.email as assignee, c.updated_at from csat_ratings c
      join tickets t on t.org_id = c.org_id and t.id = c.ticket_id join users u on u.id = c.requester_id
      left join users a on a.id = c.assignee_id where c.org_id = ${org.id} order by t.number`);
    expect(ratings.map((x) => [x.number, x.rating, x.comment, x.requester, x.assignee, iso(x.updated_at)])).toEqual([
      [201, "good", "Quick and kind", "carol@globex.example", "alice@acme.example", "2024-03-05T12:00:00.000Z"],
      [202, "bad", "Nobody answers", "dan@globex.example", null, "2024-03-04T08:00:00.000Z"],
      // An incremental export's ticket carries its rating too; without its own times it takes the ticket's last update.
      [204, "good", "", "dan@globex.example", "alice@acme.example", "2024-03-06T10:00:00.000Z"],
    ]);
    const rated = await query<{ action: string; data: Record<string, unknown> }>(
      sql`select action, data from audit_events where org_id = ${org.id} and action = 'ticket.csat_imported' order by seq`,
    );
    expect(rated.map((a) => [a.data.sourceId, a.data.rating])).toEqual([
      ["605", "good"],
      ["600", "good"],
      ["601", "bad"],
    ]);
    expect(await withTenant(org.id, (tx) => verifyChain(tx, org.id))).toMatchObject({
      valid: true,
      firstBrokenSeq: null,
    });

    // Recorded times: 202 has no reply among its comments (only the description), so its metric gives it (08:00 + 90 min);
    // 201's solve time replaces the estimate (its last update, 03-05).
    const times = await query<{ number: number; first_response_at: string | null; resolved_at: string | null }>(
      sql`select number, first_response_at, resolved_at from tickets where org_id = ${org.id} order by number`,
    );
    expect(times.map((t) => [t.number, iso(t.first_response_at), iso(t.resolved_at)])).toEqual([
      [201, "2024-03-01T09:30:00.000Z", "2024-03-02T10:00:00.000Z"],
      [202, "2024-03-02T09:30:00.000Z", null],
      [203, null, "2024-03-03T09:00:00.000Z"],
      [204, "2024-03-04T08:15:00.000Z", "2024-03-04T10:00:00.000Z"],
    ]);

    // Attachments: 8001's bytes from the export's file (its URL was never asked for), 8002 downloaded, 8003 refused by the sniffing.
    expect(r.counts.attachment).toMatchObject({
      source: 3,
      imported: 2,
      skipped: { "file type not accepted": 1 },
    });
    const files = await query<{ filename: string; storage_key: string }>(
      sql`select filename, storage_key from attachments where org_id = ${org.id} order by filename`,
    );
    expect(files.map((f) => f.filename)).toEqual(["invoice.png", "screenshot.png"]);
    expect((await buffer(await storage().get(files[0]!.storage_key))).equals(PICTURE)).toBe(true);
    expect((await buffer(await storage().get(files[1]!.storage_key))).equals(SHOT)).toBe(true);
    expect(downloads.filter((d) => d.includes("invoice"))).toEqual([]);
    expect(downloads.filter((d) => d.includes("shot"))).toHaveLength(1);
    // The attachment folder is neither read for records nor listed as a file not read.
    expect(r.ignoredFiles).toEqual([]);

    // The CLI's and the download's text counts the new kinds.
    const text = formatCheckReport(r.counts, r.report, r.ignoredFiles);
    expect(text).toMatch(/^sla_event\s+15\s+7\s+0\s+0\s+8$/m);
    expect(text).toMatch(/^satisfaction_rating\s+8\s+3\s+1\s+0\s+4$/m);
    expect(text).toMatch(/^ticket_metric\s+3\s+2\s+0\s+0\s+1$/m);
  });

  it("a second import writes nothing and counts all as existing; a resumed import lands each record once; other orgs are untouched", async () => {
    const a = await createOrg();
    const b = await createOrg();
    await importZendesk(a.id);
    const afterFirst = await snapshot(a.id);
    const firstEvents = await slaEventsOf(a.id);

    // The same export again, into the same org: nothing new, every history record existing.
    const again = await importZendesk(a.id);
    expect(await snapshot(a.id)).toEqual(afterFirst);
    expect(again.counts.sla_event).toMatchObject({ source: 15, imported: 0, existing: 7 });
    expect(again.counts.satisfaction_rating).toMatchObject({ source: 8, imported: 0, existing: 4 });
    expect(again.counts.ticket_metric).toMatchObject({ source: 3, imported: 0, existing: 2 });
    expect(again.counts.metric_set).toMatchObject({ source: 1, imported: 0, existing: 1 });
    expect(await slaEventsOf(a.id)).toEqual(firstEvents);

    // Another org, batch by batch (2 records, one batch a run): the same rows as one run, and org a unchanged.
    const resumed = await importZendesk(b.id, ZENDESK, { batchSize: 2, maxBatches: 1 });
    expect(resumed.counts.sla_event).toMatchObject({ source: 15, imported: 7, existing: 0 });
    expect(resumed.counts.satisfaction_rating).toMatchObject({ source: 8, imported: 3, existing: 1 });
    const strip = (rows: Awaited<ReturnType<typeof slaEventsOf>>) =>
      rows.map((e) => [e.number, e.metric, e.kind, iso(e.at), iso(e.due_at), e.data.sourceId]);
    expect(strip(await slaEventsOf(b.id))).toEqual(strip(firstEvents));
    expect(await countOf(b.id, "csat_ratings")).toBe(3);
    expect(await snapshot(a.id)).toEqual(afterFirst);
  });

  it("reads a zip of an export folder with the attachment files beside the JSON, unpacked as the import job unpacks it", async () => {
    const org = await createOrg();
    const entries: { name: string; data: Buffer }[] = [];
    const walk = (dir: string, rel: string) => {
      for (const f of readdirSync(dir)) {
        const full = path.join(dir, f);
        if (statSync(full).isDirectory()) walk(full, `${rel}${f}/`);
        else entries.push({ name: `${rel}${f}`, data: readFileSync(full) });
      }
    };
    walk(ZENDESK, "acme-export/");
    const zipFile = path.join(mkdtempSync(path.join(os.tmpdir(), "zendesk-zip-")), "export.zip");
    writeFileSync(zipFile, makeZip(entries.map((e) => ({ ...e, deflate: true }))));
    const unpacked = path.join(path.dirname(zipFile), "export");
    await extractZip(zipFile, unpacked, { maxEntries: 100, maxUnzippedBytes: 10 * 1024 * 1024 });
    downloads = [];
    const r = await importZendesk(org.id, unpacked);
    expect(r.counts.attachment).toMatchObject({ source: 3, imported: 2, skipped: { "file type not accepted": 1 } });
    expect(downloads.filter((d) => d.includes("invoice"))).toEqual([]);
    expect(r.ignoredFiles).toEqual([]);
    expect(r.counts.ticket).toMatchObject({ source: 4, imported: 4 });
  });

  it("without the file in the export, an attachment is downloaded from its URL as before", async () => {
    const org = await createOrg();
    const copy = mkdtempSync(path.join(os.tmpdir(), "zendesk-nofiles-"));
    cpSync(ZENDESK, copy, { recursive: true, filter: (src) => !src.includes(`${path.sep}attachments`) });
    downloads = [];
    const r = await importZendesk(org.id, copy);
    // invoice.png's URL answers 404 (a download failed), tool.exe has no URL, screenshot.png comes from its URL.
    expect(r.counts.attachment).toMatchObject({
      source: 3,
      imported: 1,
      skipped: { "download failed": 1, "no URL in the export": 1 },
    });
    expect(downloads.filter((d) => d.includes("invoice"))).toHaveLength(1);
  });
});

describe("Freshdesk history", () => {
  it("imports escalations as breaches, due dates as targets, stats as times and ratings cut at neutral; a rerun adds nothing", async () => {
    const world = await createWorld();
    const org = world.org;
    const other = await createOrg();
    const otherBefore = await snapshot(other.id);
    const jobsBefore = await jobsOf(org.id);
    const run = async () => {
      const importId = (await createImport(org.id, { sourceKind: "freshdesk", source: FRESHDESK, createdBy: null })).id;
      return runFreshdeskImport({ orgId: org.id, importId, input: FRESHDESK });
    };
    const r = await run();
    expect(r.finished).toBe(true);
    expect(r.counts.ticket).toMatchObject({ source: 4, imported: 3, skipped: { "malformed: fr_due_by": 1 } });
    expect(r.counts.sla_event).toMatchObject({ source: 9, imported: 9, existing: 0, skipped: {} });
    expect(r.counts.satisfaction_rating).toEqual({
      source: 5,
      imported: 2,
      existing: 0,
      matched: 0,
      skipped: {
        "neutral (Beacon's ratings are good or bad)": 1,
        "malformed: ratings.default_question": 1,
        "its ticket was not imported": 1,
      },
    });

    const events = await slaEventsOf(org.id);
    expect(events.map((e) => [e.number, `${e.metric}.${e.kind}`, iso(e.due_at), e.data.sourceField])).toEqual([
      [401, "first_response.apply", "2024-04-01T12:00:00.000Z", "fr_due_by"],
      [401, "resolution.apply", "2024-04-03T08:00:00.000Z", "due_by"],
      [401, "first_response.breach", "2024-04-01T12:00:00.000Z", "fr_escalated"],
      [402, "first_response.apply", "2024-04-02T16:00:00.000Z", "fr_due_by"],
      [402, "resolution.apply", "2024-04-04T08:00:00.000Z", "due_by"],
      [402, "first_response.breach", "2024-04-02T16:00:00.000Z", "fr_escalated"],
      [402, "resolution.breach", "2024-04-04T08:00:00.000Z", "is_escalated"],
      [403, "first_response.apply", "2024-04-03T20:00:00.000Z", "fr_due_by"],
      [403, "resolution.apply", "2024-04-06T08:00:00.000Z", "due_by"],
    ]);
    for (const e of events) expect(e.data).toMatchObject({ imported: true, source: "freshdesk" });
    expect(await countOf(org.id, "sla_checks")).toBe(0);
    expect(await jobsOf(org.id)).toBe(jobsBefore);

    // Stats: the first reply (no agent comment in the export), the resolution and close; an open ticket keeps none.
    const times = await query<{ number: number; f: string | null; r: string | null; c: string | null }>(
      sql`select number, first_response_at as f, resolved_at as r, closed_at as c from tickets where org_id = ${org.id} order by number`,
    );
    expect(times.map((t) => [t.number, iso(t.f), iso(t.r), iso(t.c)])).toEqual([
      [401, "2024-04-01T15:00:00.000Z", "2024-04-02T09:00:00.000Z", null],
      [402, "2024-04-03T10:00:00.000Z", "2024-04-05T10:00:00.000Z", "2024-04-06T10:00:00.000Z"],
      [403, "2024-04-03T09:00:00.000Z", null, null],
    ]);

    const ratings = await query<{ number: number; rating: string; comment: string }>(sql`
      select t.number, c.rating::text, c.comment from csat_ratings c join tickets t on t.org_id = c.org_id and t.id = c.ticket_id
      where c.org_id = ${org.id} order by t.number`);
    expect(ratings.map((x) => [x.number, x.rating, x.comment])).toEqual([
      [401, "good", "Refund came, but late"],
      [402, "bad", "Too slow"],
    ]);

    const before = await snapshot(org.id);
    const again = await run();
    expect(again.counts.sla_event).toMatchObject({ source: 9, imported: 0, existing: 9 });
    expect(again.counts.satisfaction_rating).toMatchObject({ imported: 0, existing: 2 });
    expect(await snapshot(org.id)).toEqual(before);
    expect(await snapshot(other.id)).toEqual(otherBefore);
  });
});
