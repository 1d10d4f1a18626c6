import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as ticketAttachments } from "../helpers/http";
import { pool } from "../../src/server/db/client";
import { unsafeWithSystem, withTenant } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { api, newTicket } from "../helpers/api";
import { waitFor } from "../helpers/jobs";
import { createWorld, type Actor, type World } from "../helpers/world";

// An upload streams with no database transaction open: the caller is admitted and the ticket
// authorized in one short transaction, the bytes go to storage, then a second short transaction
// re-checks the caller and the ticket and writes the row. A slow client holds no connection.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-att-notx-"));
const uploadsDir = path.join(dataDir, "uploads");
let w: World;

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  w = await createWorld();
});
afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

const BOUNDARY = "beacon-notx-boundary";
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

/** Backends of this app (its pools' application_name "beacon" and "beacon-web", decision 027) on this test's database sitting idle inside a transaction. */
async function idleInTransaction(): Promise<number> {
  const r = await pool().query<{ n: number }>(
    `select count(*)::int as n from pg_stat_activity
      where datname = current_database() and application_name in ('beacon', 'beacon-web') and pid <> pg_backend_pid()
        and state in ('idle in transaction', 'idle in transaction (aborted)')`,
  );
  return r.rows[0]!.n;
}

/**
 * A text upload that sends its head and a first part of the file, then waits until released:
 * a client on a slow link, mid-stream.
 */
function slowUpload(actor: Actor, ticketId: string) {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let pulledChunks = 0;
  const parts = [
    Buffer.from(
      `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\nContent-Type: text/plain\r\n\r\n`,
    ),
  ];
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (pulledChunks === 0) controller.enqueue(parts[0]!);
        else if (pulledChunks <= 4) controller.enqueue(CHUNK);
        else if (pulledChunks === 5) {
          await gate;
          controller.enqueue(CHUNK);
        } else if (pulledChunks === 6) controller.enqueue(Buffer.from(`\r\n--${BOUNDARY}--\r\n`));
        else controller.close();
        pulledChunks++;
      },
    },
    { highWaterMark: 0 },
  );
  const req = new Request(`http://localhost/api/v1/tickets/${ticketId}/attachments`, {
    method: "POST",
    headers: {
      cookie: actor.cookie,
      "content-type": `multipart/form-data; boundary=${BOUNDARY}`,
      "x-forwarded-for": "127.0.0.1",
    },
    body: stream,
    duplex: "half",
  } as RequestInit);
  const response = ticketAttachments
    .POST(req)
    .then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, unknown> }));
  return {
    response,
    release: () => release(),
    /** Resolves once the handler has read up to the held-back chunk (the upload is mid-stream). */
    midStream: () => waitFor("the upload to be mid-stream", async () => pulledChunks >= 5, 10_000),
  };
}

describe("a slow upload holds no database transaction", () => {
  it("the probe sees a transaction held open (control)", async () => {
    let done!: () => void;
    const held = new Promise<void>((resolve) => (done = resolve));
    let opened!: () => void;
    const isOpen = new Promise<void>((resolve) => (opened = resolve));
    const tx = withTenant(w.org.id, async (t) => {
      await t.execute(sql`select 1`);
      opened();
      await held;
    });
    await isOpen;
    expect(await idleInTransaction()).toBe(1);
    done();
    await tx;
    expect(await idleInTransaction()).toBe(0);
  });

  it("while the body streams, no backend of the app is idle in transaction; the file is recorded afterwards", async () => {
    const t = await newTicket(w.customer);
    const upload = slowUpload(w.customer, t.id);
    await upload.midStream();
    // Look several times over a while: the request is waiting on its client the whole time.
    for (let i = 0; i < 5; i++) {
      expect(await idleInTransaction()).toBe(0);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await rows(t.id)).toBe(0);
    upload.release();
    const r = await upload.response;
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    expect(r.body).toMatchObject({ ticketId: t.id, filename: "slow.txt", sizeBytes: 5 * CHUNK.length });
    expect(await rows(t.id)).toBe(1);
  });
});

describe("the second transaction re-checks what may have changed while the body streamed", () => {
  it("a ticket closed mid-upload: 409, no row, and the stored bytes are deleted", async () => {
    const t = await newTicket(w.customer);
    const before = storedFiles();
    const upload = slowUpload(w.customer, t.id);
    await upload.midStream();
    expect((await api.patchTicket(w.agent, t.id, { status: "closed" })).status).toBe(200);
    upload.release();
    const r = await upload.response;
    expect(r.status).toBe(409);
    expect(await rows(t.id)).toBe(0);
    expect(storedFiles()).toEqual(before);
  });

  it("an uploader blocked mid-upload: 401, no row, nothing kept", async () => {
    const t = await newTicket(w.customer2);
    const before = storedFiles();
    const upload = slowUpload(w.customer2, t.id);
    await upload.midStream();
    await unsafeWithSystem((tx) => tx.execute(sql`update users set blocked_at = now() where id = ${w.customer2.id}`));
    upload.release();
    const r = await upload.response;
    expect(r.status).toBe(401);
    expect(await rows(t.id)).toBe(0);
    expect(storedFiles()).toEqual(before);
  });

  it("an agent demoted to customer mid-upload no longer sees another's ticket: 404, nothing kept", async () => {
    const t = await newTicket(w.customer);
    const before = storedFiles();
    const upload = slowUpload(w.agent2, t.id);
    await upload.midStream();
    await unsafeWithSystem((tx) => tx.execute(sql`update users set role = 'customer' where id = ${w.agent2.id}`));
    upload.release();
    const r = await upload.response;
    expect(r.status).toBe(404);
    expect(await rows(t.id)).toBe(0);
    expect(storedFiles()).toEqual(before);
  });
});
