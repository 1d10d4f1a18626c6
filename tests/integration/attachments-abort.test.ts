import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { sql } from "drizzle-orm";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as ticketAttachments } from "../helpers/http";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { newTicket } from "../helpers/api";
import { waitFor } from "../helpers/jobs";
import { createWorld, type World } from "../helpers/world";

// Uploads that end badly, with real streams: a body that errors midway, a real HTTP client that
// disconnects mid-upload, and bodies over the limit (refused without reading them to the end).

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-att-abort-"));
const uploadsDir = path.join(dataDir, "uploads");
let w: World;

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  w = await createWorld();
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));
afterEach(() => setProcessEnv({ ATTACHMENT_MAX_BYTES: "" }));

const BOUNDARY = "beacon-test-boundary";
const CONTENT_TYPE = `multipart/form-data; boundary=${BOUNDARY}`;
const partHead = (filename = "big.txt") =>
  Buffer.from(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/plain\r\n\r\n`,
  );
const partEnd = Buffer.from(`\r\n--${BOUNDARY}--\r\n`);
const CHUNK = Buffer.alloc(64 * 1024, "a");

function storedFiles(dir = uploadsDir): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? storedFiles(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

async function rows(ticketId: string): Promise<number> {
  const r = await unsafeWithSystem((tx) =>
    tx.execute<{ n: number }>(sql`select count(*)::int as n from attachments where ticket_id = ${ticketId}`),
  );
  return r.rows[0]!.n;
}

async function postStream(
  ticketId: string,
  body: ReadableStream<Uint8Array>,
): Promise<{ status: number; body: { error?: { code: string } } }> {
  const req = new Request(`http://localhost/api/v1/tickets/${ticketId}/attachments`, {
    method: "POST",
    headers: { cookie: w.customer.cookie, "content-type": CONTENT_TYPE, "x-forwarded-for": "127.0.0.1" },
    body,
    duplex: "half",
  } as RequestInit);
  const res = await ticketAttachments.POST(req);
  return { status: res.status, body: (await res.json()) as { error?: { code: string } } };
}

/** A multipart body of `fileBytes` bytes of text, produced only as fast as it is read; counts what was pulled. */
function lazyBody(fileBytes: number, opts: { failAfter?: number } = {}) {
  let sent = 0;
  let pulledFile = 0;
  let stage: "head" | "file" | "end" | "done" = "head";
  const stream = new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (stage === "head") {
          controller.enqueue(partHead());
          stage = "file";
          return;
        }
        if (stage === "file") {
          if (opts.failAfter !== undefined && pulledFile >= opts.failAfter) {
            controller.error(new Error("the client went away"));
            return;
          }
          const n = Math.min(CHUNK.length, fileBytes - pulledFile);
          controller.enqueue(CHUNK.subarray(0, n));
          pulledFile += n;
          sent += n;
          if (pulledFile >= fileBytes) stage = "end";
          return;
        }
        if (stage === "end") {
          controller.enqueue(partEnd);
          stage = "done";
          return;
        }
        controller.close();
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, pulled: () => sent };
}

describe("a body that breaks off midway", () => {
  it("leaves no file, no temp file and no row", async () => {
    const t = await newTicket(w.customer);
    const before = storedFiles();
    const body = lazyBody(5 * 1024 * 1024, { failAfter: 1024 * 1024 });
    const r = await postStream(t.id, body.stream);
    expect(r.status).toBe(400);
    expect(body.pulled()).toBe(1024 * 1024);
    expect(await rows(t.id)).toBe(0);
    expect(storedFiles()).toEqual(before);
  });
});

describe("a real HTTP client disconnecting mid-upload", () => {
  let server: http.Server;
  let base: string;
  let handled: Promise<number>[] = [];

  beforeAll(async () => {
    // The route handler behind node:http, as Next.js runs it: the request body is the socket's stream.
    server = http.createServer((req, res) => {
      const headers = new Headers();
      for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string") headers.set(k, v);
      const request = new Request(`http://127.0.0.1${req.url}`, {
        method: req.method,
        headers,
        body: Readable.toWeb(req) as ReadableStream<Uint8Array>,
        duplex: "half",
      } as RequestInit);
      const done = ticketAttachments.POST(request).then(async (response) => {
        if (!res.destroyed) {
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        }
        return response.status;
      });
      handled.push(done);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it("removes what was already streamed to storage; nothing reaches the database", async () => {
    handled = [];
    const t = await newTicket(w.customer);
    const before = storedFiles();
    const req = http.request(`${base}/api/v1/tickets/${t.id}/attachments`, {
      method: "POST",
      headers: { cookie: w.customer.cookie, "content-type": CONTENT_TYPE, "transfer-encoding": "chunked" },
    });
    req.on("error", () => undefined);
    req.write(partHead());
    for (let i = 0; i < 16; i++) req.write(CHUNK);
    // The upload has reached storage: its temp file exists and is growing.
    await waitFor(
      "the upload to reach storage",
      async () => storedFiles().some((f) => f.includes(`${path.sep}.tmp${path.sep}`)),
      10_000,
    );
    req.destroy();
    const status = await waitFor("the handler to finish", async () => handled[0] && (await handled[0]), 10_000);
    expect(status).toBe(400);
    expect(await rows(t.id)).toBe(0);
    expect(storedFiles()).toEqual(before);
  });

  it("a declared Content-Length over the limit is refused (413) before the body is sent", async () => {
    handled = [];
    const t = await newTicket(w.customer);
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(`${base}/api/v1/tickets/${t.id}/attachments`, {
        method: "POST",
        headers: {
          cookie: w.customer.cookie,
          "content-type": CONTENT_TYPE,
          "content-length": String(50 * 1024 * 1024),
        },
      });
      req.on("response", (res) => {
        let body = "";
        res.on("data", (c: Buffer) => (body += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode!, body }));
        res.on("error", reject);
      });
      req.on("error", reject);
      // Only the part header and 64 KiB of the 50 MiB promised: the answer must not wait for the rest.
      req.write(partHead());
      req.write(CHUNK);
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body).error.code).toBe("payload_too_large");
    expect(await rows(t.id)).toBe(0);
  });
});

describe("the size limit", () => {
  it("a streamed body (no Content-Length) over the limit is cut off near the limit, not read to its end", async () => {
    setProcessEnv({ ATTACHMENT_MAX_BYTES: String(256 * 1024) });
    const t = await newTicket(w.customer);
    const before = storedFiles();
    const body = lazyBody(50 * 1024 * 1024);
    const r = await postStream(t.id, body.stream);
    expect(r.status).toBe(413);
    expect(r.body.error?.code).toBe("payload_too_large");
    expect(body.pulled()).toBeLessThan(256 * 1024 + 1024 * 1024);
    expect(await rows(t.id)).toBe(0);
    expect(storedFiles()).toEqual(before);
  });

  it("a file of exactly ATTACHMENT_MAX_BYTES is accepted; one byte more is 413", async () => {
    setProcessEnv({ ATTACHMENT_MAX_BYTES: String(100_000) });
    const t = await newTicket(w.customer);
    const exact = lazyBody(100_000);
    expect((await postStream(t.id, exact.stream)).status).toBe(201);
    const over = lazyBody(100_001);
    expect((await postStream(t.id, over.stream)).status).toBe(413);
    expect(await rows(t.id)).toBe(1);
  });

  it("the default limit is 10 MiB", async () => {
    const t = await newTicket(w.customer);
    const ok = lazyBody(10 * 1024 * 1024);
    expect((await postStream(t.id, ok.stream)).status).toBe(201);
    const over = lazyBody(10 * 1024 * 1024 + 1);
    expect((await postStream(t.id, over.stream)).status).toBe(413);
  });
});
