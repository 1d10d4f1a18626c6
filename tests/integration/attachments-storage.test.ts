import { createHash, randomBytes, randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import S3rver from "s3rver";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiRoute as ticketAttachments, apiRoute as attachmentRoute } from "../helpers/http";
import { storage } from "../../src/server/attachments/configured-storage";
import { LocalDiskStore } from "../../src/server/attachments/local-disk-store";
import { S3Store } from "../../src/server/attachments/s3-store";
import { newStorageKey, StorageNotFound, type Storage } from "../../src/server/attachments/storage";
import { unsafeSweepOrphanUploads } from "../../src/server/attachments/sweep-orphans";
import { setProcessEnv } from "../../src/server/env";
import { newTicket } from "../helpers/api";
import { createWorld, type World } from "../helpers/world";

// One contract, two stores: local disk, and S3 against a real S3-compatible server (s3rver, from
// npm, in this process, offline). s3rver does not verify SigV4 signatures, so these tests prove
// the requests' shape and the round trips, not the signing itself (aws4fetch's job).

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-store-"));
const BUCKET = "beacon-test";
let s3: S3rver;
let s3Url: string;

beforeAll(async () => {
  s3 = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: path.join(tmp, "s3rver"),
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await s3.run();
  s3Url = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  await s3.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const ORG = randomUUID();
const sha256 = (b: Buffer) => createHash("sha256").update(b).digest("hex");
const read = async (r: Readable) => Buffer.concat(await r.toArray());

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

/** A stream that sends some bytes and then fails, like a client going away. */
function failingStream(bytes: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (sent >= bytes) return this.destroy(new Error("connection reset"));
      sent += 64 * 1024;
      this.push(Buffer.alloc(64 * 1024, 1));
    },
  });
}

type Case = { name: string; make: () => Storage; scratch: () => string[] };
const cases: Case[] = [
  {
    name: "LocalDiskStore",
    make: () => new LocalDiskStore(path.join(tmp, "local")),
    scratch: () => filesUnder(path.join(tmp, "local", ".tmp")),
  },
  {
    name: "S3Store (s3rver)",
    make: () =>
      new S3Store({
        bucket: BUCKET,
        endpoint: s3Url,
        region: "us-east-1",
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        forcePathStyle: true,
        spoolDir: path.join(tmp, "spool"),
      }),
    scratch: () => filesUnder(path.join(tmp, "spool")),
  },
];

describe.each(cases)("$name", ({ make, scratch }) => {
  it("round-trips bytes with their size and sha256, then deletes them", async () => {
    const store = make();
    const key = newStorageKey(ORG);
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const put = await store.put(key, Readable.from([data.subarray(0, 1000), data.subarray(1000)]));
    expect(put).toEqual({ size: data.length, sha256: sha256(data) });
    // (Buffer.equals: a deep toEqual over 3 MiB takes a minute.)
    expect((await read(await store.get(key))).equals(data)).toBe(true);
    await store.delete(key);
    await expect(store.get(key)).rejects.toBeInstanceOf(StorageNotFound);
    await store.delete(key); // deleting what is gone is fine
    expect(scratch()).toEqual([]);
  });

  it("a stream that fails midway leaves nothing at the key and no scratch file", async () => {
    const store = make();
    const key = newStorageKey(ORG);
    await expect(store.put(key, failingStream(512 * 1024))).rejects.toThrow(/connection reset/);
    await expect(store.get(key)).rejects.toBeInstanceOf(StorageNotFound);
    expect(scratch()).toEqual([]);
  });

  it("lists what it holds, with when each object was written", async () => {
    const store = make();
    const org = randomUUID();
    const keys = [newStorageKey(org), newStorageKey(org)];
    const before = Date.now() - 5_000;
    for (const k of keys) await store.put(k, Readable.from([Buffer.from(k)]));
    const listed = [];
    for await (const o of store.list()) if (o.key.includes(org)) listed.push(o);
    expect(listed.map((o) => o.key).sort()).toEqual([...keys].sort());
    for (const o of listed) expect(o.modifiedAt.getTime()).toBeGreaterThan(before);
    for (const k of keys) await store.delete(k);
  });

  it("accepts only server-made keys (no path traversal)", async () => {
    const store = make();
    for (const key of [
      "../../etc/passwd",
      `org/${ORG}/../../../etc/passwd`,
      `org/${ORG}/..`,
      "/etc/passwd",
      `org/${ORG}/x`,
      `org/..%2F..%2Fetc/${randomUUID()}`,
    ]) {
      await expect(store.put(key, Readable.from([Buffer.from("x")])), key).rejects.toThrow(/invalid storage key/);
      await expect(store.get(key), key).rejects.toThrow(/invalid storage key/);
      await expect(store.delete(key), key).rejects.toThrow(/invalid storage key/);
    }
    expect(fs.existsSync(path.join(tmp, "etc"))).toBe(false);
  });
});

describe("LocalDiskStore layout", () => {
  it("keeps files at uploads/org/<orgId>/<uuid>, readable by the owner only", async () => {
    const root = path.join(tmp, "layout");
    const store = new LocalDiskStore(root);
    const key = newStorageKey(ORG);
    await store.put(key, Readable.from([Buffer.from("hello")]));
    const file = path.join(root, ...key.split("/"));
    expect(fs.readFileSync(file, "utf8")).toBe("hello");
    expect(fs.statSync(file).mode & 0o077).toBe(0);
  });
});

describe("the routes on S3 (S3_BUCKET set)", () => {
  let w: World;
  beforeAll(async () => {
    setProcessEnv({
      BEACON_DATA_DIR: path.join(tmp, "data"),
      S3_BUCKET: BUCKET,
      S3_ENDPOINT: s3Url,
      S3_REGION: "us-east-1",
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
      S3_FORCE_PATH_STYLE: "true",
    });
    w = await createWorld();
  });
  afterAll(() =>
    setProcessEnv({
      S3_BUCKET: "",
      S3_ENDPOINT: "",
      S3_ACCESS_KEY_ID: "",
      S3_SECRET_ACCESS_KEY: "",
      S3_FORCE_PATH_STYLE: "",
    }),
  );

  it("uploads land in the bucket, not on local disk, and download from it", async () => {
    expect(storage()).toBeInstanceOf(S3Store);
    const t = await newTicket(w.customer);
    const data = Buffer.from("a,b\n1,2\n");
    const form = new FormData();
    form.append("file", new Blob([data]), "numbers.csv");
    const req = new Request(`http://localhost/api/v1/tickets/${t.id}/attachments`, {
      method: "POST",
      headers: { cookie: w.customer.cookie, "x-forwarded-for": "127.0.0.1" },
      body: form,
    });
    const up = await ticketAttachments.POST(req);
    expect(up.status).toBe(201);
    const att = (await up.json()) as { id: string; contentType: string; sha256: string };
    expect(att.contentType).toBe("text/csv; charset=utf-8");

    const inBucket = filesUnder(path.join(tmp, "s3rver", BUCKET)).filter((f) => f.includes(w.org.id));
    expect(inBucket.length).toBeGreaterThan(0);
    expect(filesUnder(path.join(tmp, "data", "uploads")).filter((f) => !f.includes(".spool"))).toEqual([]);
    expect(filesUnder(path.join(tmp, "data", "uploads", ".spool"))).toEqual([]);

    const dl = await attachmentRoute.GET(
      new Request(`http://localhost/api/v1/attachments/${att.id}`, {
        headers: { cookie: w.agent.cookie, "x-forwarded-for": "127.0.0.1" },
      }),
    );
    expect(dl.status).toBe(200);
    expect(Buffer.from(await dl.arrayBuffer())).toEqual(data);
    expect(dl.headers.get("content-type")).toBe("text/csv; charset=utf-8");
    expect(dl.headers.get("content-disposition")).toBe(
      `attachment; filename="numbers.csv"; filename*=UTF-8''numbers.csv`,
    );
  });
});

/** Uploads one real attachment through the route, as `who`. */
async function upload(w: World, data: Uint8Array<ArrayBuffer>, name: string): Promise<{ id: string }> {
  const t = await newTicket(w.customer);
  const form = new FormData();
  form.append("file", new Blob([data]), name);
  const res = await ticketAttachments.POST(
    new Request(`http://localhost/api/v1/tickets/${t.id}/attachments`, {
      method: "POST",
      headers: { cookie: w.customer.cookie, "x-forwarded-for": "127.0.0.1" },
      body: form,
    }),
  );
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string };
}

async function download(w: World, id: string): Promise<number> {
  const res = await attachmentRoute.GET(
    new Request(`http://localhost/api/v1/attachments/${id}`, {
      headers: { cookie: w.agent.cookie, "x-forwarded-for": "127.0.0.1" },
    }),
  );
  await res.arrayBuffer();
  return res.status;
}

/**
 * The orphan sweep on the configured store: bytes no row names (a process killed between storing
 * and committing) go once they are older than the minimum age; recorded attachments, young
 * orphans and everything in a dry run stay; stale spool/temp files go too.
 */
describe.each([
  {
    name: "local disk",
    env: { S3_BUCKET: "" } as Record<string, string>,
    tempDir: (data: string) => path.join(data, "uploads", ".tmp"),
  },
  {
    name: "S3 (s3rver)",
    env: {
      S3_BUCKET: BUCKET,
      S3_REGION: "us-east-1",
      S3_ACCESS_KEY_ID: "S3RVER",
      S3_SECRET_ACCESS_KEY: "S3RVER",
      S3_FORCE_PATH_STYLE: "true",
    },
    tempDir: (data: string) => path.join(data, "uploads", ".spool"),
  },
])("orphan sweep on $name", ({ env, tempDir }) => {
  let w: World;
  const data = path.join(tmp, `sweep-${randomUUID()}`);
  beforeAll(async () => {
    setProcessEnv({ BEACON_DATA_DIR: data, S3_ENDPOINT: s3Url, ...env });
    w = await createWorld();
  });
  afterAll(() =>
    setProcessEnv({
      S3_BUCKET: "",
      S3_ENDPOINT: "",
      S3_ACCESS_KEY_ID: "",
      S3_SECRET_ACCESS_KEY: "",
      S3_FORCE_PATH_STYLE: "",
    }),
  );

  it("removes only old bytes that no attachment names, and stale temp files", async () => {
    const store = storage();
    const kept = await upload(w, new TextEncoder().encode("a,b\n1,2\n"), "kept.csv");
    const orphan = newStorageKey(w.org.id);
    await store.put(orphan, Readable.from([Buffer.from("left behind by a killed upload")]));
    const later = new Date(Date.now() + 2 * 3600_000);

    // Young orphans are left alone: an upload may be between its bytes and its commit.
    const young = await unsafeSweepOrphanUploads();
    expect(young).toMatchObject({ orphans: 0, deleted: 0 });
    expect(young.scanned).toBeGreaterThanOrEqual(2);

    fs.mkdirSync(tempDir(data), { recursive: true });
    const stalePart = path.join(tempDir(data), `${randomUUID()}.part`);
    fs.writeFileSync(stalePart, "half an upload");
    const old = new Date(Date.now() - 3 * 3600_000);
    fs.utimesSync(stalePart, old, old);

    const dry = await unsafeSweepOrphanUploads({ now: later, dryRun: true });
    expect(dry).toMatchObject({ orphans: 1, deleted: 0, tempFilesRemoved: 0, dryRun: true });
    expect((await read(await store.get(orphan))).toString()).toBe("left behind by a killed upload");
    expect(fs.existsSync(stalePart)).toBe(true);

    const swept = await unsafeSweepOrphanUploads({ now: later });
    expect(swept).toMatchObject({ orphans: 1, deleted: 1, tempFilesRemoved: 1, dryRun: false });
    await expect(store.get(orphan)).rejects.toBeInstanceOf(StorageNotFound);
    expect(fs.existsSync(stalePart)).toBe(false);
    expect(await download(w, kept.id)).toBe(200);

    // Nothing left to do the second time.
    expect(await unsafeSweepOrphanUploads({ now: later })).toMatchObject({
      orphans: 0,
      deleted: 0,
      tempFilesRemoved: 0,
    });
  });
});
