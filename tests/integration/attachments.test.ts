import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { crc32, deflateSync } from "node:zlib";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as ticketAttachments, apiRoute as attachmentRoute } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { api, newTicket } from "../helpers/api";
import { createWorld, type Actor, type World } from "../helpers/world";

// Uploads and downloads through the real route handlers, real PostgreSQL and the local disk store
// in a temp directory. Abort and limit cases with real streams: attachments-abort.test.ts; the
// stores themselves (local and S3): attachments-storage.test.ts.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-att-"));
const uploadsDir = path.join(dataDir, "uploads");

let w: World, other: World;

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

// --- fixtures -------------------------------------------------------------------------------

function pngChunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "latin1"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

const PNG_SIG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** A real w×h RGB PNG. */
function png(w = 4, h = 4): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const raw = randomBytes((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) raw[y * (w * 3 + 1)] = 0; // filter byte of each scanline
  return Buffer.concat([
    PNG_SIG,
    pngChunk("IHDR", ihdr),
    pngChunk("IDAT", deflateSync(raw)),
    pngChunk("IEND", Buffer.alloc(0)),
  ]);
}

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");
const JPEG = Buffer.concat([
  Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10]),
  Buffer.from("JFIF\0", "latin1"),
  Buffer.from([1, 1, 0, 0, 1, 0, 1, 0, 0]),
  Buffer.from([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]),
  randomBytes(64).map((b) => (b === 0xff ? 0 : b)),
  Buffer.from([0xff, 0xd9]),
]);
function webp(): Buffer {
  const payload = Buffer.concat([Buffer.from("WEBPVP8L", "latin1"), Buffer.from([5, 0, 0, 0, 0x2f, 0, 0, 0, 0])]);
  const head = Buffer.from("RIFF\0\0\0\0", "latin1");
  head.writeUInt32LE(payload.length, 4);
  return Buffer.concat([head, payload]);
}
const PDF = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "latin1");

/** A stored (uncompressed) zip, enough for file-type and the end-of-directory check. */
function zip(entries: [string, string][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of entries) {
    const data = Buffer.from(content);
    const n = Buffer.from(name);
    const crc = crc32(data);
    const lh = Buffer.alloc(30);
    lh.writeUInt32LE(0x04034b50, 0);
    lh.writeUInt16LE(20, 4);
    lh.writeUInt32LE(crc, 14);
    lh.writeUInt32LE(data.length, 18);
    lh.writeUInt32LE(data.length, 22);
    lh.writeUInt16LE(n.length, 26);
    locals.push(lh, n, data);
    const ch = Buffer.alloc(46);
    ch.writeUInt32LE(0x02014b50, 0);
    ch.writeUInt16LE(20, 4);
    ch.writeUInt16LE(20, 6);
    ch.writeUInt32LE(crc, 16);
    ch.writeUInt32LE(data.length, 20);
    ch.writeUInt32LE(data.length, 24);
    ch.writeUInt16LE(n.length, 28);
    ch.writeUInt32LE(offset, 42);
    central.push(ch, n);
    offset += 30 + n.length + data.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}
const contentTypesXml = (part: string, type: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="${part}" ContentType="${type}"/></Types>`;
const DOCX = zip([
  [
    "[Content_Types].xml",
    contentTypesXml(
      "/word/document.xml",
      "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    ),
  ],
  ["_rels/.rels", "<Relationships/>"],
  ["word/document.xml", "<w:document/>"],
]);
const XLSX = zip([
  [
    "[Content_Types].xml",
    contentTypesXml("/xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
  ],
  ["_rels/.rels", "<Relationships/>"],
  ["xl/workbook.xml", "<workbook/>"],
]);
const ODT = zip([
  ["mimetype", "application/vnd.oasis.opendocument.text"],
  ["content.xml", "<office:document-content/>"],
]);
const ZIP = zip([["notes/readme.txt", "hello from a zip"]]);
const EXE = Buffer.concat([Buffer.from("MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0", "latin1"), Buffer.alloc(200, 0x41)]);

// --- calling the routes -----------------------------------------------------------------------

type Result = { status: number; headers: Headers; body: any; bytes: Buffer }; // eslint-disable-line @typescript-eslint/no-explicit-any

async function result(res: Response): Promise<Result> {
  const bytes = Buffer.from(await res.arrayBuffer());
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString("utf8"));
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, body, bytes };
}

async function post(
  who: Actor | null,
  ticketId: string,
  body: BodyInit,
  headers: Record<string, string> = {},
): Promise<Result> {
  const h = new Headers(headers);
  h.set("x-forwarded-for", "127.0.0.1");
  if (who) h.set("cookie", who.cookie);
  const req = new Request(`http://localhost/api/v1/tickets/${ticketId}/attachments`, {
    method: "POST",
    headers: h,
    body,
  });
  return result(await ticketAttachments.POST(req));
}

type FilePart = { name?: string; data: Buffer | string; type?: string };

function upload(who: Actor | null, ticketId: string, file: FilePart | null, fields: Record<string, string> = {}) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  if (file)
    form.append(
      "file",
      new Blob([Buffer.from(file.data)], { type: file.type ?? "application/octet-stream" }),
      file.name ?? "file.bin",
    );
  return post(who, ticketId, form);
}

/** A hand-made multipart body, for what FormData will not produce. */
function multipart(
  parts: { headers: string[]; data: Buffer | string }[],
  boundary = `b${randomBytes(8).toString("hex")}`,
) {
  const chunks: Buffer[] = [];
  for (const p of parts)
    chunks.push(
      Buffer.from(`--${boundary}\r\n${p.headers.join("\r\n")}\r\n\r\n`),
      Buffer.from(p.data),
      Buffer.from("\r\n"),
    );
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

async function list(who: Actor, ticketId: string, query: Record<string, string> = {}): Promise<Result> {
  const url = new URL(`http://localhost/api/v1/tickets/${ticketId}/attachments`);
  for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
  const req = new Request(url, { headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" } });
  return result(await ticketAttachments.GET(req));
}

async function download(who: Actor, id: string): Promise<Result> {
  const req = new Request(`http://localhost/api/v1/attachments/${id}`, {
    headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
  });
  return result(await attachmentRoute.GET(req));
}

/** Every file under the uploads root, temp files included. */
function storedFiles(dir = uploadsDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? storedFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

async function attachmentRows(ticketId: string): Promise<number> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ n: number }>(sql`select count(*)::int as n from attachments where ticket_id = ${ticketId}`),
  );
  return r.rows[0]!.n;
}

/** A refused upload leaves no row and no file (not even a temp file). */
async function expectNothingLeft(ticketId: string, filesBefore: string[]) {
  expect(await attachmentRows(ticketId)).toBe(0);
  expect(storedFiles().sort()).toEqual([...filesBefore].sort());
}

const sha256 = (b: Buffer | string) => createHash("sha256").update(b).digest("hex");

// --- tests ----------------------------------------------------------------------------------

describe("upload and download", () => {
  it("stores the file with its sniffed type, size and sha256, and serves it back as a download", async () => {
    const t = await newTicket(w.customer);
    const data = png();
    const up = await upload(w.customer, t.id, { name: "screenshot.png", data, type: "text/html" });
    expect(up.status).toBe(201);
    expect(up.body).toMatchObject({
      ticketId: t.id,
      commentId: null,
      uploaderId: w.customer.id,
      filename: "screenshot.png",
      downloadFilename: "screenshot.png",
      contentType: "image/png",
      sizeBytes: data.length,
      sha256: sha256(data),
      internal: false,
      url: `/api/v1/attachments/${up.body.id}`,
    });

    const files = storedFiles();
    expect(files.filter((f) => f.includes(path.join("org", w.org.id)))).toHaveLength(1);
    expect(fs.readFileSync(files.find((f) => f.includes(w.org.id))!)).toEqual(data);

    for (const who of [w.customer, w.agent, w.admin]) {
      const dl = await download(who, up.body.id);
      expect(dl.status).toBe(200);
      expect(dl.bytes).toEqual(data);
      expect(dl.headers.get("content-type")).toBe("image/png");
      expect(dl.headers.get("content-length")).toBe(String(data.length));
      expect(dl.headers.get("x-content-type-options")).toBe("nosniff");
      expect(dl.headers.get("content-disposition")).toBe(
        `attachment; filename="screenshot.png"; filename*=UTF-8''screenshot.png`,
      );
      expect(dl.headers.get("cache-control")).toMatch(/no-store/);
    }
  });

  it("accepts every allow-listed type and labels it by content, not by the client's claim or the name", async () => {
    const t = await newTicket(w.agent);
    const cases: [FilePart, string][] = [
      [{ name: "a.png", data: png() }, "image/png"],
      [{ name: "a.jpg", data: JPEG }, "image/jpeg"],
      [{ name: "a.gif", data: GIF }, "image/gif"],
      [{ name: "a.webp", data: webp() }, "image/webp"],
      [{ name: "a.pdf", data: PDF, type: "image/png" }, "application/pdf"],
      [{ name: "a.zip", data: ZIP }, "application/zip"],
      [{ name: "a.docx", data: DOCX }, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"],
      [{ name: "a.xlsx", data: XLSX }, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"],
      [{ name: "a.odt", data: ODT }, "application/vnd.oasis.opendocument.text"],
      [
        { name: "notes.txt", data: "plain words\nÜnïcödé ✓\n", type: "application/x-msdownload" },
        "text/plain; charset=utf-8",
      ],
      [{ name: "data.csv", data: "a,b\n1,2\n" }, "text/csv; charset=utf-8"],
      [{ name: "README.md", data: "# Title\n\n*emphasis*\n" }, "text/markdown; charset=utf-8"],
    ];
    for (const [file, type] of cases) {
      const r = await upload(w.agent, t.id, file);
      expect(r.status, file.name).toBe(201);
      expect(r.body.contentType, file.name).toBe(type);
      const dl = await download(w.agent, r.body.id);
      expect(dl.headers.get("content-type"), file.name).toBe(type);
      expect(dl.bytes).toEqual(Buffer.from(file.data));
    }
  });

  it("lists a ticket's attachments with keyset pages", async () => {
    const t = await newTicket(w.customer);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await upload(w.customer, t.id, { name: `n${i}.txt`, data: `note ${i}` })).body.id);
    const first = await list(w.customer, t.id, { limit: "2" });
    expect(first.status).toBe(200);
    expect(first.body.data.map((a: { id: string }) => a.id)).toEqual(ids.slice(0, 2));
    const second = await list(w.customer, t.id, { limit: "2", cursor: first.body.nextCursor });
    expect(second.body.data.map((a: { id: string }) => a.id)).toEqual(ids.slice(2));
    expect(second.body.nextCursor).toBeNull();
    expect((await list(w.customer, t.id, { cursor: `${first.body.nextCursor}x` })).status).toBe(400);
  });

  it("writes attachment.added to the ticket's audit history in the same transaction", async () => {
    const t = await newTicket(w.customer);
    const up = await upload(w.customer, t.id, { name: "log.txt", data: "line 1\n" });
    const events = await api.events(w.agent, t.id);
    const added = events.body.data.filter((e: { action: string }) => e.action === "attachment.added");
    expect(added).toHaveLength(1);
    expect(added[0]).toMatchObject({
      actorId: w.customer.id,
      data: { attachmentId: up.body.id, filename: "log.txt", contentType: "text/plain; charset=utf-8", sizeBytes: 7 },
    });
  });
});

describe("who may upload and download (404 outside visibility, never 403)", () => {
  let t: { id: string };
  let attachmentId: string;
  beforeAll(async () => {
    t = await newTicket(w.customer);
    attachmentId = (await upload(w.customer, t.id, { name: "mine.txt", data: "mine" })).body.id;
  });

  it("the requester, agents and admins of the org may upload to the ticket", async () => {
    for (const who of [w.customer, w.agent, w.admin])
      expect((await upload(who, t.id, { name: "x.txt", data: "x" })).status).toBe(201);
  });

  it("another customer, and anyone from another org, get 404 on upload, list and download", async () => {
    const before = storedFiles();
    for (const who of [w.customer2, other.customer, other.agent, other.admin]) {
      const up = await upload(who, t.id, { name: "x.txt", data: "x" });
      expect(up.status).toBe(404);
      expect((await list(who, t.id)).status).toBe(404);
      const dl = await download(who, attachmentId);
      expect(dl.status).toBe(404);
      expect(dl.body).toEqual((await download(w.agent, "00000000-0000-4000-8000-000000000000")).body);
    }
    expect(storedFiles()).toEqual(before);
  });

  it("without credentials: 401; malformed ids: 400", async () => {
    expect((await upload(null, t.id, { name: "x.txt", data: "x" })).status).toBe(401);
    expect((await download(w.agent, "not-a-uuid")).status).toBe(400);
  });

  it("a closed ticket takes no more files (409)", async () => {
    const c = await newTicket(w.customer);
    await api.patchTicket(w.agent, c.id, { status: "closed" });
    const before = storedFiles();
    expect((await upload(w.customer, c.id, { name: "late.txt", data: "late" })).status).toBe(409);
    await expectNothingLeft(c.id, before);
  });
});

describe("attachments of internal notes", () => {
  it("are shown to staff only; customers cannot attach to or see them", async () => {
    const t = await newTicket(w.customer);
    const note = await api.addComment(w.agent, t.id, { body: "see the dump", internal: true });
    const reply = await api.addComment(w.customer, t.id, { body: "here is my log" });
    const internal = await upload(
      w.agent,
      t.id,
      { name: "dump.txt", data: "secret stack trace" },
      { commentId: note.body.id },
    );
    expect(internal.status).toBe(201);
    expect(internal.body).toMatchObject({ commentId: note.body.id, internal: true });
    const pub = await upload(w.customer, t.id, { name: "log.txt", data: "my log" }, { commentId: reply.body.id });
    expect(pub.body).toMatchObject({ commentId: reply.body.id, internal: false });

    expect((await download(w.customer, internal.body.id)).status).toBe(404);
    expect((await download(w.admin, internal.body.id)).status).toBe(200);
    expect((await list(w.customer, t.id)).body.data.map((a: { id: string }) => a.id)).toEqual([pub.body.id]);
    expect((await list(w.agent2, t.id)).body.data.map((a: { id: string }) => a.id)).toEqual([
      internal.body.id,
      pub.body.id,
    ]);

    // The customer cannot attach to the note (it does not exist for them), nor to someone else's comment.
    expect((await upload(w.customer, t.id, { name: "x.txt", data: "x" }, { commentId: note.body.id })).status).toBe(
      404,
    );
    expect((await upload(w.agent2, t.id, { name: "x.txt", data: "x" }, { commentId: note.body.id })).status).toBe(403);
    // A comment of another ticket, or not a UUID.
    const elsewhere = await newTicket(w.customer);
    const otherComment = await api.addComment(w.customer, elsewhere.id, { body: "elsewhere" });
    expect(
      (await upload(w.customer, t.id, { name: "x.txt", data: "x" }, { commentId: otherComment.body.id })).status,
    ).toBe(404);
    expect((await upload(w.customer, t.id, { name: "x.txt", data: "x" }, { commentId: "nope" })).status).toBe(400);
    expect(await attachmentRows(t.id)).toBe(2);
  });
});

describe("content is judged by its bytes", () => {
  let t: { id: string };
  beforeAll(async () => {
    t = await newTicket(w.agent);
  });

  const refused: [string, FilePart][] = [
    ["a Windows executable named like a PDF", { name: "invoice.pdf", data: EXE, type: "application/pdf" }],
    [
      "a PNG signature on an HTML body",
      {
        name: "cat.png",
        data: Buffer.concat([PNG_SIG, Buffer.from("<html><script>alert(document.cookie)</script></html>")]),
        type: "image/png",
      },
    ],
    ["a truncated PNG", { name: "cut.png", data: png(64, 64).subarray(0, 100) }],
    ["a truncated PDF", { name: "cut.pdf", data: PDF.subarray(0, PDF.length - 8) }],
    ["a truncated zip", { name: "cut.zip", data: ZIP.subarray(0, ZIP.length - 30) }],
    ["a JPEG without its end", { name: "cut.jpg", data: JPEG.subarray(0, JPEG.length - 2) }],
    ["XML (recognised, not on the allow-list)", { name: "feed.xml", data: '<?xml version="1.0"?><rss/>' }],
    ["text with a NUL byte", { name: "nul.txt", data: "abc\0def" }],
    ["text that is not UTF-8", { name: "latin1.txt", data: Buffer.from("caf\xe9 cr\xe8me", "latin1") }],
    ["random binary", { name: "blob.bin", data: Buffer.concat([Buffer.from([0, 1, 2, 0xfe]), randomBytes(512)]) }],
  ];
  for (const [what, file] of refused) {
    it(`refuses ${what} with 415 and keeps nothing`, async () => {
      const before = storedFiles();
      const r = await upload(w.agent, t.id, file);
      expect(r.status).toBe(415);
      expect(r.body.error.code).toBe("unsupported_media_type");
      await expectNothingLeft(t.id, before);
    });
  }

  it("refuses a zero-byte file with 400", async () => {
    const before = storedFiles();
    const r = await upload(w.agent, t.id, { name: "empty.txt", data: "" });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/empty/);
    await expectNothingLeft(t.id, before);
  });
});

describe("file names", () => {
  let t: { id: string };
  beforeAll(async () => {
    t = await newTicket(w.customer);
  });

  const named = async (name: string, data: Buffer | string = "text") => {
    const r = await upload(w.customer, t.id, { name, data });
    expect(r.status, name).toBe(201);
    return r;
  };

  it("keeps only the last path component; the storage key never comes from the name", async () => {
    for (const [raw, shown] of [
      ["../../etc/passwd", "passwd"],
      ["..\\..\\Windows\\system32\\evil.txt", "evil.txt"],
      ["/abs/path/.bashrc", "bashrc"],
      ["..", "attachment"],
    ]) {
      const r = await named(raw!);
      expect(r.body.filename, raw).toBe(shown);
    }
    for (const f of storedFiles()) {
      expect(path.relative(uploadsDir, f)).toMatch(/^(org\/[0-9a-f-]{36}\/[0-9a-f-]{36}|\.tmp\/.*)$/);
    }
    expect(fs.existsSync(path.join(dataDir, "etc"))).toBe(false);
  });

  it("strips control and direction characters, keeps Unicode, caps the length with the extension kept", async () => {
    // Raw control bytes in a part header are malformed multipart (400); RFC 5987 can still carry them.
    expect((await upload(w.customer, t.id, { name: "re\u0007port.txt", data: "x" })).status).toBe(400);
    const m = multipart([
      {
        headers: [`Content-Disposition: form-data; name="file"; filename*=UTF-8''re%00port%07%1B%5B31m.txt`],
        data: "x",
      },
    ]);
    const encoded = await post(w.customer, t.id, m.body, { "content-type": m.contentType });
    expect(encoded.body.filename).toBe("report[31m.txt");
    // U+202E would show "invoice‮gpj.exe" as "invoiceexe.jpg".
    expect((await named("invoice\u202Egpj.txt")).body.filename).toBe("invoicegpj.txt");
    expect((await named("Übersicht – 日本語 ✓.txt")).body.filename).toBe("Übersicht – 日本語 ✓.txt");
    const long = await named(`${"ß".repeat(300)}.txt`);
    expect([...long.body.filename]).toHaveLength(200);
    expect(long.body.filename.endsWith("ß.txt")).toBe(true);
  });

  it("downloads carry an extension of the sniffed type (double extensions lose the false one)", async () => {
    const pdf = await named("invoice.pdf.exe", PDF);
    expect(pdf.body).toMatchObject({
      filename: "invoice.pdf.exe",
      downloadFilename: "invoice.pdf",
      contentType: "application/pdf",
    });
    const html = await named("page.html", "<p>hello</p>");
    expect(html.body).toMatchObject({ downloadFilename: "page.txt", contentType: "text/plain; charset=utf-8" });
    const image = await named("photo.exe", png());
    expect(image.body.downloadFilename).toBe("photo.png");
    const noExt = await named("README", ZIP);
    expect(noExt.body.downloadFilename).toBe("README.zip");
    const dl = await download(w.customer, pdf.body.id);
    expect(dl.headers.get("content-disposition")).toBe(
      `attachment; filename="invoice.pdf"; filename*=UTF-8''invoice.pdf`,
    );
  });

  it("encodes non-ASCII names per RFC 6266 / 5987 with an ASCII fallback", async () => {
    const r = await named(`naïve résumé (v2)*'100%'.txt`);
    expect(r.body.filename).toBe(`naïve résumé (v2)_'100%'.txt`);
    const dl = await download(w.agent, r.body.id);
    expect(dl.headers.get("content-disposition")).toBe(
      `attachment; filename="naive resume (v2)_'100_'.txt"; filename*=UTF-8''na%C3%AFve%20r%C3%A9sum%C3%A9%20%28v2%29_%27100%25%27.txt`,
    );
    // A quote inside the name (escaped in the part header) cannot break out of the header either.
    const m = multipart([
      { headers: [`Content-Disposition: form-data; name="file"; filename="say \\"hi\\".txt"`], data: "hi" },
    ]);
    const quoted = await post(w.customer, t.id, m.body, { "content-type": m.contentType });
    expect(quoted.status).toBe(201);
    expect(quoted.body.filename).toBe("say _hi_.txt");
  });
});

describe("malformed requests are 4xx, never 5xx, and leave nothing behind", () => {
  let t: { id: string };
  beforeAll(async () => {
    t = await newTicket(w.customer);
  });

  it("a JSON body is 415; a multipart body without a boundary is 400", async () => {
    expect(
      (await post(w.customer, t.id, JSON.stringify({ file: "x" }), { "content-type": "application/json" })).status,
    ).toBe(415);
    expect((await post(w.customer, t.id, "--x\r\n", { "content-type": "multipart/form-data" })).status).toBe(415);
    expect(
      (await post(w.customer, t.id, "--x\r\n", { "content-type": "multipart/form-data; charset=utf-8" })).status,
    ).toBe(400);
  });

  it("no file part, two files, unknown fields or file fields are 400", async () => {
    const before = storedFiles();
    expect((await upload(w.customer, t.id, null, { commentId: "00000000-0000-4000-8000-000000000000" })).status).toBe(
      400,
    );
    const two = new FormData();
    two.append("file", new Blob(["a"]), "a.txt");
    two.append("file", new Blob(["b"]), "b.txt");
    expect((await post(w.customer, t.id, two)).status).toBe(400);
    const extra = new FormData();
    extra.append("file", new Blob(["a"]), "a.txt");
    extra.append("isAdmin", "true");
    expect((await post(w.customer, t.id, extra)).status).toBe(400);
    const wrongName = new FormData();
    wrongName.append("upload", new Blob(["a"]), "a.txt");
    expect((await post(w.customer, t.id, wrongName)).status).toBe(400);
    await expectNothingLeft(t.id, before);
  });

  it("huge multipart part headers are 400", async () => {
    const before = storedFiles();
    const m = multipart([
      {
        headers: [
          `Content-Disposition: form-data; name="file"; filename="${"a".repeat(100_000)}.txt"`,
          "Content-Type: text/plain",
        ],
        data: "hello",
      },
    ]);
    const r = await post(w.customer, t.id, m.body, { "content-type": m.contentType });
    expect(r.status).toBe(400);
    const many = multipart([
      {
        headers: [
          `Content-Disposition: form-data; name="file"; filename="a.txt"`,
          ...Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${"v".repeat(20)}`),
        ],
        data: "hello",
      },
    ]);
    expect((await post(w.customer, t.id, many.body, { "content-type": many.contentType })).status).toBe(400);
    await expectNothingLeft(t.id, before);
  });

  it("a multipart body cut off before its closing boundary is 400", async () => {
    const before = storedFiles();
    const m = multipart([
      { headers: [`Content-Disposition: form-data; name="file"; filename="a.txt"`], data: "hello world" },
    ]);
    const cut = m.body.subarray(0, m.body.length - 20);
    const r = await post(w.customer, t.id, cut, { "content-type": m.contentType });
    expect(r.status).toBe(400);
    await expectNothingLeft(t.id, before);
  });

  it("a filename sent as raw UTF-8 in the part header is read as UTF-8", async () => {
    const m = multipart([
      { headers: [`Content-Disposition: form-data; name="file"; filename="größe.txt"`], data: "hello" },
    ]);
    const r = await post(w.customer, t.id, m.body, { "content-type": m.contentType });
    expect(r.status).toBe(201);
    expect(r.body.filename).toBe("größe.txt");
  });
});

describe("kill switch", () => {
  afterEach(() => setProcessEnv({ FEATURES_DISABLED: "" }));

  it("FEATURES_DISABLED=attachments answers 503 feature_disabled on every attachment route", async () => {
    const t = await newTicket(w.customer);
    const up = await upload(w.customer, t.id, { name: "a.txt", data: "a" });
    setProcessEnv({ FEATURES_DISABLED: "attachments" });
    for (const r of [
      await upload(w.customer, t.id, { name: "b.txt", data: "b" }),
      await list(w.customer, t.id),
      await download(w.customer, up.body.id),
    ]) {
      expect(r.status).toBe(503);
      expect(r.body.error.code).toBe("feature_disabled");
    }
  });
});
