import { randomUUID } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { sql } from "drizzle-orm";
import PgBoss from "pg-boss";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";
import { storage } from "../../src/server/attachments/configured-storage";
import { StorageNotFound } from "../../src/server/attachments/storage";
import { db } from "../../src/server/db/client";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { BOSS_SCHEMA } from "../../src/server/jobs/boss";
import { QUEUES } from "../../src/server/jobs/queues";
import { runImportJob } from "../../src/server/import/import-job";
import { importWorkDir } from "../../src/server/import/work-dir";
import { startWorker, type RunningWorker } from "../../src/server/worker/worker";
import { apiRoute, call, type CallResult } from "../helpers/http";
import { jobsIn, waitFor } from "../helpers/jobs";
import { makeZip } from "../helpers/zip";
import { createWorld, type Actor, type World } from "../helpers/world";

// Imports over HTTP (issue 17 items 1, 3 and 4; issue 20's Idempotency-Key on POST /imports;
// decision 055): an admin uploads an export, the `import` job runs it in slices from its
// checkpoint, and the import's state, progress and check report are read back.

const FIXTURE = path.resolve(import.meta.dirname, "../fixtures/import/zendesk");
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-import-api-"));
/** The fixture's files, their attachment URLs pointed at a closed local port (each a quick, reported skip). */
const FILES = fs.readdirSync(FIXTURE).map((name) => ({
  name: `zendesk-export/${name}`,
  data: fs.readFileSync(path.join(FIXTURE, name), "utf8").replaceAll("https://acme.zendesk.com", "http://127.0.0.1:9"),
}));
const EXPORT_ZIP = makeZip(FILES);

let w: World, other: World;
let worker: RunningWorker | undefined;
let boss: PgBoss;

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
  boss = new PgBoss({
    connectionString: process.env.DATABASE_URL!,
    schema: BOSS_SCHEMA,
    supervise: false,
    schedule: false,
    max: 1,
  });
  await boss.start();
}, 60_000);
afterAll(async () => {
  await worker?.stop();
  await boss.updateQueue(QUEUES.importRun.name, { name: QUEUES.importRun.name, ...retryOf(QUEUES.importRun) });
  await boss.stop({ graceful: false });
  setProcessEnv({ IMPORT_MAX_BYTES: "", IMPORT_MAX_UNZIPPED_BYTES: "" });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const retryOf = (q: { retryLimit: number; retryDelay: number; retryBackoff: boolean }) => ({
  retryLimit: q.retryLimit,
  retryDelay: q.retryDelay,
  retryBackoff: q.retryBackoff,
});

type Upload = { source?: string; options?: string; file?: { name: string; data: Buffer | string } };

/** POST /api/v1/imports as a browser's FormData would send it (the bytes as they are: call() sends strings as UTF-8). */
async function upload(who: Actor, u: Upload, key?: string): Promise<CallResult> {
  const form = new FormData();
  if (u.source !== undefined) form.append("source", u.source);
  if (u.options !== undefined) form.append("options", u.options);
  if (u.file) form.append("file", new Blob([Buffer.from(u.file.data)]), u.file.name);
  const headers = new Headers({ cookie: who.cookie, "x-forwarded-for": "127.0.0.1" });
  if (key) headers.set("idempotency-key", key);
  const res = await apiRoute.POST(
    new Request("http://localhost/api/v1/imports", { method: "POST", headers, body: form }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}
const get = (who: Actor, p: string, query?: Record<string, string>) =>
  call(apiRoute.GET, "GET", p, { cookie: who.cookie, query });

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
/** As the database's owner: pg-boss's tables, and the test's own trigger. */
const asOwner = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await db().execute<T>(query)).rows;
const countOf = async (orgId: string, table: string) =>
  (await q<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)} where org_id = ${orgId}`))[0]!.n;
/** Uploaded exports still stored for the org (local disk store under BEACON_DATA_DIR/uploads). */
const storedInputs = (orgId: string) => {
  const dir = path.join(dataDir, "uploads", "imports", orgId);
  return fs.existsSync(dir) ? fs.readdirSync(dir) : [];
};
const snapshot = async (orgId: string) => {
  const out: Record<string, number> = {};
  for (const t of ["tickets", "comments", "users", "customer_orgs", "groups", "ticket_fields", "import_id_map"])
    out[t] = await countOf(orgId, t);
  return out;
};

const ZIP = { source: "zendesk", file: { name: "export.zip", data: EXPORT_ZIP } };
const CSV = fs.readFileSync(path.resolve(FIXTURE, "../csv/tickets.csv"));
const CSV_MAP = fs.readFileSync(path.resolve(FIXTURE, "../csv/tickets-map.json"), "utf8");

describe("POST /api/v1/imports: who may, and what is refused", () => {
  it("agents and customers get 403 on every import operation; another org's import is 404, and not in its list", async () => {
    const made = await upload(w.admin, {
      source: "zendesk",
      file: { name: "users.json", data: FILES.find((f) => f.name.endsWith("/users.json"))!.data },
    });
    expect(made.status, made.text).toBe(202);
    expect(made.body).toMatchObject({ state: "queued", sourceKind: "zendesk", source: "users.json" });
    const id = made.body.id as string;
    for (const who of [w.agent, w.customer]) {
      expect((await upload(who, ZIP)).status).toBe(403);
      expect((await get(who, "/api/v1/imports")).status).toBe(403);
      expect((await get(who, `/api/v1/imports/${id}`)).status).toBe(403);
      expect((await get(who, `/api/v1/imports/${id}/report`)).status).toBe(403);
    }
    expect((await get(other.admin, `/api/v1/imports/${id}`)).status).toBe(404);
    expect((await get(other.admin, `/api/v1/imports/${id}/report`)).status).toBe(404);
    expect((await get(other.admin, `/api/v1/imports/${id}/report`, { format: "text" })).status).toBe(404);
    const theirs = await get(other.admin, "/api/v1/imports");
    expect(theirs.body.data.map((i: { id: string }) => i.id)).not.toContain(id);
    const ours = await get(w.admin, "/api/v1/imports");
    expect(ours.body.data[0].id).toBe(id);
  });

  it("an unknown source, bad options, no or an empty file, an oversize file, another file type and a zip that climbs out are 4xx and create nothing", async () => {
    const before = { rows: await countOf(w.org.id, "imports"), stored: storedInputs(w.org.id).length };
    const jobsBefore = (await jobsIn(QUEUES.importRun.name, { orgId: w.org.id })).length;
    const cases: [Upload, number, RegExp][] = [
      [{ ...ZIP, source: "helpscout" }, 400, /source must be one of zendesk/],
      [{ file: ZIP.file }, 400, /source is required/],
      [{ ...ZIP, options: "[1,2]" }, 400, /options must be a JSON object/],
      [{ source: "zendesk" }, 400, /field named file/],
      [{ source: "zendesk", file: { name: "tickets.json", data: "" } }, 400, /empty/],
      [{ source: "zendesk", file: { name: "setup.exe", data: "MZ\x90\0" } }, 415, /\.zip/],
      // Each kind takes what its runner reads: a CSV import one .csv file, its mapping checked against the header.
      [{ source: "csv", options: CSV_MAP, file: ZIP.file }, 415, /one \.csv file/],
      [{ source: "csv", file: { name: "tickets.csv", data: CSV } }, 400, /mapping is not valid/],
      [
        {
          source: "csv",
          options: JSON.stringify({ columns: { subject: "Titel", requester_email: "Email" } }),
          file: { name: "t.csv", data: CSV },
        },
        400,
        /Titel/,
      ],
      [
        {
          source: "zendesk",
          file: { name: "evil.zip", data: makeZip([{ name: "../../etc/cron.d/x.json", data: "[]" }]) },
        },
        400,
        /climbs out|invalid relative path/,
      ],
      [
        { source: "zendesk", file: { name: "abs.zip", data: makeZip([{ name: "/tmp/x.json", data: "[]" }]) } },
        400,
        /absolute|invalid relative path/,
      ],
      [
        { source: "zendesk", file: { name: "empty.zip", data: makeZip([{ name: "dir/", data: "" }]) } },
        400,
        /no files/,
      ],
    ];
    for (const [u, status, message] of cases) {
      const r = await upload(w.admin, u);
      expect(r.status, `${JSON.stringify(u.file?.name)} ${r.text}`).toBe(status);
      expect(r.body.error.message).toMatch(message);
    }
    // A zip bomb (2 MB of zeros deflated to a few KB) over the unpacked limit is refused from its directory, unpacked never.
    setProcessEnv({ IMPORT_MAX_UNZIPPED_BYTES: "100000" });
    const bomb = await upload(w.admin, {
      source: "zendesk",
      file: {
        name: "bomb.zip",
        data: makeZip([{ name: "tickets.json", data: Buffer.alloc(2_000_000), deflate: true }]),
      },
    });
    expect(bomb.status).toBe(400);
    expect(bomb.body.error.message).toMatch(/unpacks to more than 100000 bytes/);
    setProcessEnv({ IMPORT_MAX_UNZIPPED_BYTES: "", IMPORT_MAX_BYTES: "1024" });
    const big = await upload(w.admin, { source: "zendesk", file: { name: "tickets.json", data: "x".repeat(5000) } });
    expect(big.status).toBe(413);
    setProcessEnv({ IMPORT_MAX_BYTES: "" });

    expect(await countOf(w.org.id, "imports")).toBe(before.rows);
    expect(storedInputs(w.org.id)).toHaveLength(before.stored);
    expect(await jobsIn(QUEUES.importRun.name, { orgId: w.org.id })).toHaveLength(jobsBefore);
    expect(fs.readdirSync(path.join(dataDir, "imports", "spool"))).toEqual([]);
  });

  it("honours Idempotency-Key: the same upload replays the first import, another body with the key is 422", async () => {
    const key = randomUUID();
    const before = await countOf(w.org.id, "imports");
    const first = await upload(w.admin, ZIP, key);
    expect(first.status, first.text).toBe(202);
    const again = await upload(w.admin, ZIP, key);
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    const reused = await upload(w.admin, { ...ZIP, options: '{"x":1}' }, key);
    expect(reused.status).toBe(422);
    expect(reused.body.error.code).toBe("idempotency_key_reused");
    expect(await countOf(w.org.id, "imports")).toBe(before + 1);
    // The replayed and refused uploads' bytes were removed again: one stored export per import.
    expect(storedInputs(w.org.id)).toHaveLength(await countOf(w.org.id, "imports"));
    expect(await jobsIn(QUEUES.importRun.name, { importId: first.body.id })).toHaveLength(1);
  });
});

describe("the import job", () => {
  let reference: Record<string, number>;
  let referenceCounts: unknown;

  it("runs an uploaded Zendesk export to done (through the worker): the counts, the report and its text; the stored export is deleted", async () => {
    const world = await createWorld();
    const made = await upload(world.admin, ZIP);
    expect(made.status).toBe(202);
    const id = made.body.id as string;
    const [row] = await q<{ input_key: string; input_bytes: string }>(
      sql`select input_key, input_bytes from imports where id = ${id}`,
    );
    expect(row!.input_key).toMatch(new RegExp(`^imports/${world.org.id}/`));
    expect(Number(row!.input_bytes)).toBe(EXPORT_ZIP.length);

    worker = await startWorker({ url: process.env.DATABASE_URL!, pollingIntervalSeconds: 0.5, schedule: false });
    onTestFinished(async () => {
      // Stopped even when an assertion fails: the next test drives its import by hand, with no worker.
      await worker?.stop();
      worker = undefined;
    });
    const done = await waitFor(
      "the import to finish",
      async () => {
        const r = await get(world.admin, `/api/v1/imports/${id}`);
        return r.body.state === "done" || r.body.state === "failed" ? r.body : undefined;
      },
      60_000,
    );
    expect(done.state, done.error).toBe("done");
    expect(done.counts.ticket).toMatchObject({ source: 10, imported: 6 });
    expect(done.counts.comment).toMatchObject({ imported: 12 });
    expect(done.counts.user).toMatchObject({ imported: 6 });
    expect(done.progress.imported).toBeGreaterThan(20);
    expect(done.finishedAt).not.toBeNull();

    const report = await get(world.admin, `/api/v1/imports/${id}/report`);
    expect(report.status).toBe(200);
    expect(report.body.counts).toEqual(done.counts);
    expect(report.body.skippedSample.length).toBeGreaterThan(0);
    expect(report.body.ticketSample.length).toBe(6);
    expect(report.body.ticketSample[0].compared).toBeDefined();
    const text = await get(world.admin, `/api/v1/imports/${id}/report`, { format: "text" });
    expect(text.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(text.headers.get("content-disposition")).toContain(`import-${id}-report.txt`);
    expect(text.text).toContain("Check report");
    expect(text.text).toMatch(/ticket\s+10\s+6/);

    // The job deletes the stored export just after the last batch's commit marked the import done.
    await waitFor(
      "the stored export to be deleted",
      async () => (await q(sql`select 1 from imports where id = ${id} and input_key is null`)).length === 1,
      30_000,
    );
    await expect(storage().get(row!.input_key)).rejects.toBeInstanceOf(StorageNotFound);
    expect(fs.existsSync(importWorkDir(id))).toBe(false);
    // Nothing was sent: no notification, email or webhook job names the org.
    const sent = await asOwner<{ n: number }>(
      sql`select count(*)::int as n from pgboss.job where data->>'orgId' = ${world.org.id} and name <> ${QUEUES.importRun.name}`,
    );
    expect(sent[0]!.n).toBe(0);
    reference = await snapshot(world.org.id);
    referenceCounts = done.counts;
  }, 90_000);

  it("sliced, with its work directory lost between slices and a slice that fails, it resumes and ends with each record once", async () => {
    const world = await createWorld();
    const made = await upload(world.admin, ZIP);
    const id = made.body.id as string;
    const job = { orgId: world.org.id, importId: id };
    // The job the upload queued is driven by hand here, slice by slice (no worker is running).
    await asOwner(sql`delete from pgboss.job where name = ${QUEUES.importRun.name} and data->>'importId' = ${id}`);
    const slice = { batchSize: 2, sliceBatches: 4 };

    expect(await runImportJob(job, slice)).toEqual({ state: "continued" });
    expect(await jobsIn(QUEUES.importRun.name, { importId: id })).toHaveLength(1);
    const mid = await get(world.admin, `/api/v1/imports/${id}`);
    expect(mid.body.state).toBe("running");
    expect(mid.body.progress.records).toBeGreaterThan(0);
    // A worker on another machine: no unpacked export there, fetched again from storage.
    fs.rmSync(importWorkDir(id), { recursive: true, force: true });
    expect(await runImportJob(job, slice)).toEqual({ state: "continued" });

    // A slice that fails mid-way (the database refuses tickets for a moment, not for their data): recorded, thrown, retried.
    const fn = `import_fail_${world.org.id.replaceAll("-", "")}`;
    await asOwner(
      sql.raw(`create function ${fn}() returns trigger language plpgsql as $$ begin
      if new.org_id = '${world.org.id}' then raise exception 'disk on fire' using errcode = 'P0001'; end if; return new; end $$`),
    );
    await asOwner(sql.raw(`create trigger ${fn} before insert on tickets for each row execute function ${fn}()`));
    try {
      let failed: unknown;
      for (let i = 0; i < 10 && !failed; i++)
        await runImportJob(job, slice).catch((err: unknown) => {
          failed = err;
        });
      expect(failed).toBeDefined();
      expect((await get(world.admin, `/api/v1/imports/${id}`)).body.error).toBe("disk on fire");
    } finally {
      await asOwner(sql.raw(`drop trigger ${fn} on tickets; drop function ${fn}()`));
    }
    let last = { state: "continued" } as Awaited<ReturnType<typeof runImportJob>>;
    for (let i = 0; i < 40 && last.state === "continued"; i++) last = await runImportJob(job, slice);
    expect(last.state).toBe("done");

    const done = await get(world.admin, `/api/v1/imports/${id}`);
    expect(done.body).toMatchObject({ state: "done", error: null });
    expect(done.body.counts).toEqual(referenceCounts);
    expect(await snapshot(world.org.id)).toEqual(reference);
    expect(storedInputs(world.org.id)).toEqual([]);
    // A leftover slice of a finished import does nothing.
    expect(await runImportJob(job, slice)).toEqual({ state: "done" });
    expect(await snapshot(world.org.id)).toEqual(reference);
  }, 90_000);

  it("a CSV upload keeps its mapping as the import's options and runs from the one file to done", async () => {
    const world = await createWorld();
    const made = await upload(world.admin, {
      source: "csv",
      options: CSV_MAP,
      file: { name: "tickets.csv", data: CSV },
    });
    expect(made.status, made.text).toBe(202);
    expect(made.body.options).toEqual(JSON.parse(CSV_MAP));
    const job = { orgId: world.org.id, importId: made.body.id as string };
    let last = await runImportJob(job, { batchSize: 2, sliceBatches: 1 });
    for (let i = 0; i < 20 && last.state === "continued"; i++)
      last = await runImportJob(job, { batchSize: 2, sliceBatches: 1 });
    expect(last.state).toBe("done");
    const done = await get(world.admin, `/api/v1/imports/${job.importId}`);
    expect(done.body.state).toBe("done");
    expect(done.body.counts.ticket.imported).toBeGreaterThan(0);
    expect(await countOf(world.org.id, "tickets")).toBe(done.body.counts.ticket.imported);
  });

  it("a slice that fails every retry is dead-lettered (in Admin → Jobs) and the import shows failed with why", async () => {
    await boss.updateQueue(QUEUES.importRun.name, {
      name: QUEUES.importRun.name,
      retryLimit: 1,
      retryDelay: 1,
      retryBackoff: false,
    });
    const world = await createWorld();
    const made = await upload(world.admin, ZIP);
    const id = made.body.id as string;
    const [row] = await q<{ input_key: string }>(sql`select input_key from imports where id = ${id}`);
    // The stored export is gone (a bucket emptied by hand): every run fails to fetch it.
    await storage().delete(row!.input_key);
    worker = await startWorker({ url: process.env.DATABASE_URL!, pollingIntervalSeconds: 0.5, schedule: false });
    const failed = await waitFor(
      "the import to fail",
      async () => {
        const r = await get(world.admin, `/api/v1/imports/${id}`);
        return r.body.state === "failed" ? r.body : undefined;
      },
      30_000,
    );
    expect(failed.error).toMatch(/no stored object/);
    const dead = await get(world.admin, "/api/v1/jobs/dead", { queue: "import" });
    expect(dead.status).toBe(200);
    expect(dead.body.data).toHaveLength(1);
    expect(await countOf(world.org.id, "tickets")).toBe(0);
  }, 60_000);
});
