import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { createImport } from "../../src/server/import/import-run";
import { importRunner } from "../../src/server/import/run-import";
import { validateCsvImport } from "../../src/server/import/csv/import-csv";
import { createOrg } from "../helpers/factories";
import { png } from "../helpers/png";

// A CSV import's attachments column and time zone (issue 17, decision 062): URLs in a cell are
// fetched through the outbound guard under the upload rules, as Zendesk's and Freshdesk's are;
// dates without an offset are read in the mapping's IANA zone, dates with one keep it; a bad
// value skips its row with why.

const PICTURE = png(2, 2);
let server: Server;
let base: string;
const dir = mkdtempSync(path.join(os.tmpdir(), "csv-files-zones-"));
let fetches = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    fetches++;
    if (req.url === "/files/receipt.png" || req.url === "/files/second%20shot.png")
      return res.writeHead(200, { "content-type": "image/png", "content-length": PICTURE.length }).end(PICTURE);
    if (req.url === "/files/fake.png")
      // Says PNG, is an executable: the content inspector refuses it, as it refuses such an upload.
      return res.writeHead(200, { "content-type": "image/png" }).end(Buffer.from("MZ\x90\x00this is not a picture"));
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  unsafeWithSystem(async (tx) => (await tx.execute<T>(query)).rows);

async function importCsv(orgId: string, file: string, options: Record<string, unknown>, batchSize = 3) {
  const importId = (await createImport(orgId, { sourceKind: "csv", source: file, createdBy: null, options })).id;
  return { importId, ...(await importRunner("csv")!({ orgId, importId, input: file, batchSize })) };
}

const csvFile = (name: string, rows: string[][]) => {
  const file = path.join(dir, name);
  const cell = (c: string) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c);
  writeFileSync(file, rows.map((r) => r.map(cell).join(",")).join("\n"));
  return file;
};

describe("CSV attachments column", () => {
  it("fetches each row's URLs through the guard and the upload rules, skips what is refused with why, and imports nothing twice", async () => {
    const org = await createOrg();
    const file = csvFile("files.csv", [
      ["Ticket ID", "Title", "Email", "Body", "Files"],
      [
        "F-1",
        "Two files",
        "a@example.com",
        "See attached",
        `${base}/files/receipt.png ${base}/files/second%20shot.png`,
      ],
      ["F-2", "One missing", "b@example.com", "Gone", `${base}/files/missing.png`],
      ["F-3", "Not a picture", "c@example.com", "Fake", `${base}/files/fake.png`],
      ["F-4", "Private address", "d@example.com", "Inside", "http://10.1.2.3/secret.png"],
      ["F-5", "Not a URL", "e@example.com", "Bad", "ftp://example.com/x.png"],
      ["F-6", "No files", "f@example.com", "Plain", ""],
    ]);
    const options = {
      columns: {
        external_id: "Ticket ID",
        subject: "Title",
        requester_email: "Email",
        description: "Body",
        attachments: "Files",
      },
    };
    const r = await importCsv(org.id, file, options);
    expect(r.finished).toBe(true);
    expect(r.counts.ticket).toMatchObject({ source: 6, imported: 5, skipped: { "malformed: attachments": 1 } });
    expect(r.counts.attachment).toMatchObject({ imported: 2 });
    expect(r.counts.attachment!.skipped).toMatchObject({
      "download failed": 1,
      "refused by the outbound guard": 1,
    });
    // The third: the executable that says it is a PNG, refused by the content inspector.
    expect(r.counts.attachment!.skipped).toEqual(
      expect.objectContaining({ "download failed": 1, "refused by the outbound guard": 1 }),
    );
    expect(Object.values(r.counts.attachment!.skipped).reduce((a, b) => a + b, 0)).toBe(3);
    expect(
      r.report.skippedSample.find((s) => s.type === "attachment" && s.reason.startsWith("fake.png")),
    ).toBeDefined();
    const why = r.report.skippedSample.map((s) => s.reason).join("\n");
    expect(why).toMatch(/ftp:\/\/example\.com\/x\.png.* is not an http\(s\) URL/);
    expect(why).toMatch(/missing\.png: HTTP 404/);

    const files = await q<{ subject: string; filename: string; size_bytes: number; content_type: string }>(sql`
      select t.subject, a.filename, a.size_bytes::int as size_bytes, a.content_type from attachments a
      join tickets t on t.org_id = a.org_id and t.id = a.ticket_id
      where a.org_id = ${org.id} order by a.filename`);
    expect(files).toEqual([
      { subject: "Two files", filename: "receipt.png", size_bytes: PICTURE.length, content_type: "image/png" },
      { subject: "Two files", filename: "second shot.png", size_bytes: PICTURE.length, content_type: "image/png" },
    ]);

    // Again: the tickets and their files are mapped; nothing is downloaded or written again.
    const before = fetches;
    const again = await importCsv(org.id, file, options);
    expect(again.counts.ticket).toMatchObject({ imported: 0, existing: 5 });
    expect(fetches).toBe(before);
    expect((await q(sql`select 1 from attachments where org_id = ${org.id}`)).length).toBe(2);
  });

  it("on comment rows the file lands on the row's own message, whether its ticket came in the same batch or an earlier one", async () => {
    const org = await createOrg();
    const file = csvFile("messages.csv", [
      ["Ticket ID", "Title", "Email", "Message", "Sent", "Files"],
      ["M-1", "Thread", "a@example.com", "First", "2024-01-01 10:00", ""],
      ["M-1", "Thread", "a@example.com", "Second, with a file", "2024-01-01 11:00", `${base}/files/receipt.png`],
      ["M-2", "Other", "b@example.com", "Opening with a file", "2024-01-02 10:00", `${base}/files/receipt.png`],
      [
        "M-1",
        "Thread",
        "a@example.com",
        "Third, later batch, with a file",
        "2024-01-01 12:00",
        `${base}/files/receipt.png`,
      ],
    ]);
    const options = {
      columns: {
        external_id: "Ticket ID",
        subject: "Title",
        requester_email: "Email",
        comment_body: "Message",
        comment_created_at: "Sent",
        attachments: "Files",
      },
    };
    const r = await importCsv(org.id, file, options, 3);
    expect(r.counts.attachment).toMatchObject({ imported: 3 });
    const onComments = await q<{ body: string; n: number }>(sql`
      select c.body, count(a.id)::int as n from comments c
      left join attachments a on a.org_id = c.org_id and a.comment_id = c.id
      where c.org_id = ${org.id} group by c.id, c.body, c.created_at order by c.created_at`);
    expect(onComments).toEqual([
      { body: "First", n: 0 },
      { body: "Second, with a file", n: 1 },
      { body: "Third, later batch, with a file", n: 1 },
      { body: "Opening with a file", n: 1 },
    ]);
    // No stored bytes left over that no attachment names (what a batch fetched and did not use is removed).
    const again = await importCsv(org.id, file, options, 3);
    expect(again.counts.comment).toMatchObject({ imported: 0, existing: 4 });
    expect((await q(sql`select 1 from attachments where org_id = ${org.id}`)).length).toBe(3);
  });
});

describe("CSV time zone", () => {
  it("reads dates without an offset in the mapping's zone, keeps an offset, and skips a time the zone does not have", async () => {
    const org = await createOrg();
    const file = csvFile("zones.csv", [
      ["Ticket ID", "Title", "Email", "Opened"],
      ["Z-1", "Winter", "a@example.com", "15.01.2024 09:00"],
      ["Z-2", "Summer", "a@example.com", "01.07.2024 09:00"],
      ["Z-3", "Clocks go forward", "a@example.com", "31.03.2024 02:30"],
      ["Z-4", "Clocks go back (twice 02:30: the first)", "a@example.com", "27.10.2024 02:30"],
      ["Z-5", "Impossible", "a@example.com", "31.02.2024 10:00"],
      ["Z-6", "Date only", "a@example.com", "02.01.2024"],
    ]);
    const r = await importCsv(org.id, file, {
      columns: { external_id: "Ticket ID", subject: "Title", requester_email: "Email", created_at: "Opened" },
      dateFormat: "DD.MM.YYYY",
      timeZone: "Europe/Berlin",
    });
    expect(r.counts.ticket).toMatchObject({ imported: 4, skipped: { "malformed: created_at": 2 } });
    const why = r.report.skippedSample.map((s) => s.reason).join("\n");
    expect(why).toContain('"31.03.2024 02:30" does not exist in Europe/Berlin');
    expect(why).toContain('"31.02.2024 10:00" is not a DD.MM.YYYY date');
    const rows = await q<{ subject: string; at: string }>(sql`
      select subject, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at
      from tickets where org_id = ${org.id} order by subject`);
    expect(Object.fromEntries(rows.map((x) => [x.subject, x.at]))).toEqual({
      Winter: "2024-01-15T08:00:00Z",
      Summer: "2024-07-01T07:00:00Z",
      "Clocks go back (twice 02:30: the first)": "2024-10-27T00:30:00Z",
      "Date only": "2024-01-01T23:00:00Z",
    });
  });

  it("ISO dates: an offset or Z is kept whatever the zone, one without is the zone's wall time", async () => {
    const org = await createOrg();
    const file = csvFile("iso.csv", [
      ["Ticket ID", "Title", "Email", "Opened"],
      ["I-1", "Offset", "a@example.com", "2024-07-01T09:00:00+05:00"],
      ["I-2", "Zulu", "a@example.com", "2024-07-01T09:00:00Z"],
      ["I-3", "Wall", "a@example.com", "2024-07-01 09:00"],
      ["I-4", "Compact offset", "a@example.com", "2024-07-01T09:00:00-0330"],
      ["I-5", "Garbage", "a@example.com", "next tuesday"],
    ]);
    const r = await importCsv(org.id, file, {
      columns: { external_id: "Ticket ID", subject: "Title", requester_email: "Email", created_at: "Opened" },
      timeZone: "America/New_York",
    });
    expect(r.counts.ticket).toMatchObject({ imported: 4, skipped: { "malformed: created_at": 1 } });
    const rows = await q<{ subject: string; at: string }>(sql`
      select subject, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as at
      from tickets where org_id = ${org.id} order by subject`);
    expect(Object.fromEntries(rows.map((x) => [x.subject, x.at]))).toEqual({
      Offset: "2024-07-01T04:00:00Z",
      Zulu: "2024-07-01T09:00:00Z",
      Wall: "2024-07-01T13:00:00Z",
      "Compact offset": "2024-07-01T12:30:00Z",
    });
  });

  it("a time zone that is not an IANA name, or an attachments column the file lacks, is refused before anything is written", async () => {
    const file = csvFile("refused.csv", [
      ["Title", "Email"],
      ["x", "a@example.com"],
    ]);
    const columns = { subject: "Title", requester_email: "Email" };
    await expect(validateCsvImport(file, { columns, timeZone: "Mars/Olympus_Mons" })).rejects.toThrow(
      /timeZone: must be an IANA time zone name/,
    );
    await expect(validateCsvImport(file, { columns: { ...columns, attachments: "Files" } })).rejects.toThrow(
      /columns\.attachments: no column "Files"/,
    );
    await expect(validateCsvImport(file, { columns, attachmentSeparator: "" })).rejects.toThrow(/attachmentSeparator/);
    await expect(validateCsvImport(file, { columns, timeZone: "Asia/Kolkata" })).resolves.toMatchObject({
      timeZone: "Asia/Kolkata",
    });
  });
});
