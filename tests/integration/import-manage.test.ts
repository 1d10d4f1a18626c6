import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storage } from "../../src/server/attachments/configured-storage";
import { StorageNotFound } from "../../src/server/attachments/storage";
import { db } from "../../src/server/db/client";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { setProcessEnv } from "../../src/server/env";
import { QUEUES } from "../../src/server/jobs/queues";
import { runImportJob } from "../../src/server/import/import-job";
import { importRunner } from "../../src/server/import/run-import";
import { unsafeSweepImportFiles } from "../../src/server/import/sweep-import-files";
import { importWorkDir, importWorkRoot } from "../../src/server/import/work-dir";
import { apiRoute, call, type CallResult } from "../helpers/http";
import { createWorld, type Actor, type World } from "../helpers/world";

// Cancelling and deleting an import, and the sweep of what a killed process leaves on disk
// (issue 17, decision 062). Jobs are driven by hand here (no worker runs), so each step is seen.

const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-import-manage-"));
let w: World, other: World;

beforeAll(async () => {
  setProcessEnv({ BEACON_DATA_DIR: dataDir });
  [w, other] = await Promise.all([createWorld(), createWorld()]);
}, 60_000);
afterAll(() => {
  fs.rmSync(dataDir, { recursive: true, force: true });
});

const TICKETS = 120;
const CSV =
  "Ticket ID,Title,Email,Body\n" +
  Array.from({ length: TICKETS }, (_, i) => `T-${i},Ticket ${i},c${i % 7}@example.com,Body of ticket ${i}`).join("\n");
const MAP = JSON.stringify({
  columns: { external_id: "Ticket ID", subject: "Title", requester_email: "Email", description: "Body" },
});

async function upload(who: Actor, file = CSV): Promise<CallResult> {
  const form = new FormData();
  form.append("source", "csv");
  form.append("options", MAP);
  form.append("file", new Blob([Buffer.from(file)]), "tickets.csv");
  const res = await apiRoute.POST(
    new Request("http://localhost/api/v1/imports", {
      method: "POST",
      headers: { cookie: who.cookie, "x-forwarded-for": "127.0.0.1" },
      body: form,
    }),
  );
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, text };
}
const get = (who: Actor, p: string) => call(apiRoute.GET, "GET", p, { cookie: who.cookie });
const cancel = (who: Actor, id: string) =>
  call(apiRoute.POST, "POST", `/api/v1/imports/${id}/cancel`, { cookie: who.cookie });
const remove = (who: Actor, id: string) =>
  call(apiRoute.DELETE, "DELETE", `/api/v1/imports/${id}`, { cookie: who.cookie });

const q = async <T extends Record<string, unknown>>(query: ReturnType<typeof sql>) =>
  (await unsafeWithSystem((tx) => tx.execute<T>(query))).rows;
const asOwner = async (query: ReturnType<typeof sql>) => (await db().execute(query)).rows;
const ticketsOf = async (orgId: string) =>
  (await q<{ n: number }>(sql`select count(*)::int as n from tickets where org_id = ${orgId}`))[0]!.n;
const inputKeyOf = async (id: string) =>
  (await q<{ input_key: string | null }>(sql`select input_key from imports where id = ${id}`))[0]?.input_key ?? null;
/** The job the upload queued is run by hand, not by a worker. */
const dropQueuedJob = (id: string) =>
  asOwner(sql`delete from pgboss.job where name = ${QUEUES.importRun.name} and data->>'importId' = ${id}`);
const auditOf = (orgId: string, id: string) =>
  q<{ action: string; data: Record<string, unknown> }>(
    sql`select action, data from audit_events where org_id = ${orgId} and entity_id = ${id} order by seq`,
  );

describe("POST /api/v1/imports/{id}/cancel", () => {
  it("a running import stops at its next batch boundary, keeps whole batches, and is cancelled with its report; a second cancel is 409", async () => {
    const made = await upload(w.admin);
    expect(made.status, made.text).toBe(202);
    const id = made.body.id as string;
    await dropQueuedJob(id);
    const job = { orgId: w.org.id, importId: id };
    const key = (await inputKeyOf(id))!;

    // Two slices of 2 batches of 5 rows: 20 tickets in, then the admin cancels.
    expect(await runImportJob(job, { batchSize: 5, sliceBatches: 2 })).toEqual({ state: "continued" });
    expect(await runImportJob(job, { batchSize: 5, sliceBatches: 2 })).toEqual({ state: "continued" });
    expect(await ticketsOf(w.org.id)).toBe(20);
    const asked = await cancel(w.admin, id);
    expect(asked.status, asked.text).toBe(202);
    expect(asked.body).toMatchObject({ id, state: "running" });
    expect(asked.body.cancelRequestedAt).not.toBeNull();
    // Asked again while it stops: the same answer, one audit event.
    expect((await cancel(w.admin, id)).status).toBe(202);
    // Deleting it now is refused: it is still running.
    const early = await remove(w.admin, id);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: "conflict", message: expect.stringMatching(/stopping/) });

    // The next slice commits nothing: the first batch's commit reads the flag and writes no row.
    expect(await runImportJob(job, { batchSize: 5, sliceBatches: 2 })).toEqual({ state: "cancelled" });
    expect(await ticketsOf(w.org.id)).toBe(20);
    const after = await get(w.admin, `/api/v1/imports/${id}`);
    expect(after.body).toMatchObject({ state: "cancelled", error: null });
    expect(after.body.finishedAt).not.toBeNull();
    expect(after.body.counts.ticket).toMatchObject({ imported: 20 });
    const report = await get(w.admin, `/api/v1/imports/${id}/report`);
    expect(report.body).toMatchObject({ state: "cancelled" });
    expect(report.body.counts.ticket.imported).toBe(20);
    // The stored export and the work directory are gone; a job that comes later only cleans up.
    await expect(storage().get(key)).rejects.toBeInstanceOf(StorageNotFound);
    expect(await inputKeyOf(id)).toBeNull();
    expect(fs.existsSync(importWorkDir(id))).toBe(false);
    expect(await runImportJob(job)).toEqual({ state: "cancelled" });
    expect(await ticketsOf(w.org.id)).toBe(20);

    const again = await cancel(w.admin, id);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("conflict");
    const events = (await auditOf(w.org.id, id)).map((e) => e.action);
    expect(events.filter((a) => a === "import.cancelled")).toHaveLength(1);
  }, 60_000);

  it("a cancel that comes while a run is writing stops it between batches: the id map, the checkpoint and the counts agree", async () => {
    const world = await createWorld();
    const made = await upload(world.admin);
    const id = made.body.id as string;
    await dropQueuedJob(id);
    await q(sql`update imports set state = 'running' where id = ${id}`);
    // The CLI's way (and what the job calls): the runner with the file, one row a batch.
    const input = path.join(dataDir, `cancel-${id}.csv`);
    fs.writeFileSync(input, CSV);
    let asked: Promise<CallResult> | undefined;
    const result = await importRunner("csv")!({
      orgId: world.org.id,
      importId: id,
      input,
      batchSize: 1,
      onProgress: () => {
        asked ??= cancel(world.admin, id);
      },
    });
    expect((await asked!).status).toBe(202);
    expect(result).toMatchObject({ finished: true, cancelled: true });
    const [row] = await q<{ state: string; checkpoint: { files: Record<string, number> }; imported: number }>(
      sql`select state, checkpoint, (counts->'ticket'->>'imported')::int as imported from imports where id = ${id}`,
    );
    expect(row!.state).toBe("cancelled");
    const tickets = await ticketsOf(world.org.id);
    expect(tickets).toBeGreaterThan(0);
    expect(tickets).toBeLessThan(TICKETS);
    expect(row!.imported).toBe(tickets);
    expect(Object.values(row!.checkpoint.files)).toEqual([tickets]);
    const mapped = await q<{ n: number }>(
      sql`select count(*)::int as n from import_id_map where org_id = ${world.org.id} and source_type = 'ticket'`,
    );
    expect(mapped[0]!.n).toBe(tickets);
  }, 60_000);

  it("a queued import is cancelled at once and its job imports nothing; a failed one is cancelled and its stored export removed", async () => {
    const queued = await upload(w.admin);
    const id = queued.body.id as string;
    await dropQueuedJob(id);
    const key = (await inputKeyOf(id))!;
    const before = await ticketsOf(w.org.id);
    const r = await cancel(w.admin, id);
    expect(r.status).toBe(202);
    expect(r.body).toMatchObject({ state: "cancelled" });
    expect(await runImportJob({ orgId: w.org.id, importId: id })).toEqual({ state: "cancelled" });
    expect(await ticketsOf(w.org.id)).toBe(before);
    await expect(storage().get(key)).rejects.toBeInstanceOf(StorageNotFound);

    const failed = await upload(w.admin);
    const fid = failed.body.id as string;
    await dropQueuedJob(fid);
    const fkey = (await inputKeyOf(fid))!;
    await q(sql`update imports set state = 'failed', error = 'disk on fire' where id = ${fid}`);
    const c = await cancel(w.admin, fid);
    expect(c.status).toBe(202);
    expect(c.body).toMatchObject({ state: "cancelled", error: "disk on fire" });
    await expect(storage().get(fkey)).rejects.toBeInstanceOf(StorageNotFound);
    expect(await inputKeyOf(fid)).toBeNull();
    // A replay of its dead-lettered job changes nothing.
    expect(await runImportJob({ orgId: w.org.id, importId: fid })).toEqual({ state: "cancelled" });
  }, 60_000);
});

describe("DELETE /api/v1/imports/{id}", () => {
  it("removes the record, stored export and work directory, keeps the imported tickets and the id map; queued or running is 409", async () => {
    const world = await createWorld();
    const made = await upload(world.admin);
    const id = made.body.id as string;
    await dropQueuedJob(id);
    const queued = await remove(world.admin, id);
    expect(queued.status).toBe(409);
    expect(queued.body.error.message).toMatch(/queued: cancel it first/);
    const job = { orgId: world.org.id, importId: id };
    expect(await runImportJob(job, { batchSize: 50, sliceBatches: 1 })).toEqual({ state: "continued" });
    expect((await remove(world.admin, id)).status).toBe(409);
    // Failed (waiting for a replay): its stored export is still there, and goes with it.
    await q(sql`update imports set state = 'failed' where id = ${id}`);
    const key = (await inputKeyOf(id))!;
    expect(fs.existsSync(importWorkDir(id))).toBe(true);

    const gone = await remove(world.admin, id);
    expect(gone.status, gone.text).toBe(204);
    expect((await get(world.admin, `/api/v1/imports/${id}`)).status).toBe(404);
    await expect(storage().get(key)).rejects.toBeInstanceOf(StorageNotFound);
    expect(fs.existsSync(importWorkDir(id))).toBe(false);
    expect(await ticketsOf(world.org.id)).toBe(50);
    const map = await q<{ n: number; named: number }>(
      sql`select count(*)::int as n, count(import_id)::int as named from import_id_map where org_id = ${world.org.id}`,
    );
    expect(map[0]!.n).toBeGreaterThanOrEqual(50);
    expect(map[0]!.named).toBe(0);
    expect((await auditOf(world.org.id, id)).map((e) => e.action)).toContain("import.deleted");
    expect((await remove(world.admin, id)).status).toBe(404);

    // The same export imported again writes nothing twice: the map still has its rows.
    const again = await upload(world.admin);
    const aid = again.body.id as string;
    await dropQueuedJob(aid);
    let last = await runImportJob({ orgId: world.org.id, importId: aid });
    for (let i = 0; i < 10 && last.state === "continued"; i++)
      last = await runImportJob({ orgId: world.org.id, importId: aid });
    expect(last).toEqual({ state: "done" });
    expect(await ticketsOf(world.org.id)).toBe(TICKETS);
    const done = await get(world.admin, `/api/v1/imports/${aid}`);
    expect(done.body.counts.ticket).toMatchObject({ imported: TICKETS - 50, existing: 50 });
  }, 60_000);

  it("another org's admin gets 404 for cancel and delete; agents and customers 403; nothing changes", async () => {
    const made = await upload(w.admin);
    const id = made.body.id as string;
    await dropQueuedJob(id);
    expect((await cancel(other.admin, id)).status).toBe(404);
    expect((await remove(other.admin, id)).status).toBe(404);
    for (const who of [w.agent, w.customer]) {
      expect((await cancel(who, id)).status).toBe(403);
      expect((await remove(who, id)).status).toBe(403);
    }
    expect((await cancel(w.admin, randomUUID())).status).toBe(404);
    expect((await remove(w.admin, "not-a-uuid")).status).toBe(400);
    const still = await get(w.admin, `/api/v1/imports/${id}`);
    expect(still.body).toMatchObject({ state: "queued", cancelRequestedAt: null });
  });
});

describe("the import files sweep", () => {
  it("removes old spool files and the work directories no queued or running import owns; young files and running imports' directories stay", async () => {
    const root = importWorkRoot();
    const old = new Date(Date.now() - 2 * 60 * 60 * 1000);
    const touch = (p: string, when: Date) => fs.utimesSync(p, when, when);
    const file = (p: string, when: Date) => {
      fs.mkdirSync(path.dirname(p), { recursive: true });
      fs.writeFileSync(p, "bytes");
      touch(p, when);
      return p;
    };
    const dir = (p: string, when: Date) => {
      file(path.join(p, "export", "tickets.json"), when);
      touch(path.join(p, "export"), when);
      touch(p, when);
      return p;
    };
    const oldSpool = file(path.join(root, "spool", `${randomUUID()}.upload`), old);
    const youngSpool = file(path.join(root, "spool", `${randomUUID()}.upload`), new Date());

    const running = await upload(w.admin);
    await dropQueuedJob(running.body.id);
    await q(sql`update imports set state = 'running' where id = ${running.body.id}`);
    const finished = await upload(w.admin);
    await dropQueuedJob(finished.body.id);
    await q(sql`update imports set state = 'done' where id = ${finished.body.id}`);
    const runningDir = dir(importWorkDir(running.body.id), old);
    const runningStaging = dir(path.join(root, "work", `.${running.body.id}.${randomUUID()}`), old);
    const finishedDir = dir(importWorkDir(finished.body.id), old);
    const deletedDir = dir(importWorkDir(randomUUID()), old);
    const staleStaging = dir(path.join(root, "work", `.${randomUUID()}.${randomUUID()}`), old);
    const youngDir = dir(importWorkDir(randomUUID()), new Date());

    const dry = await unsafeSweepImportFiles({ dryRun: true });
    expect(dry).toEqual({ spoolFilesRemoved: 1, workDirsRemoved: 3, dryRun: true });
    expect(fs.existsSync(oldSpool) && fs.existsSync(finishedDir)).toBe(true);

    expect(await unsafeSweepImportFiles()).toEqual({ spoolFilesRemoved: 1, workDirsRemoved: 3, dryRun: false });
    for (const gone of [oldSpool, finishedDir, deletedDir, staleStaging]) expect(fs.existsSync(gone), gone).toBe(false);
    for (const kept of [youngSpool, runningDir, runningStaging, youngDir]) expect(fs.existsSync(kept), kept).toBe(true);
    // Once the running import ends, its directories go too.
    await q(sql`update imports set state = 'cancelled' where id = ${running.body.id}`);
    expect(await unsafeSweepImportFiles()).toMatchObject({ workDirsRemoved: 2 });
    expect(fs.existsSync(runningDir) || fs.existsSync(runningStaging)).toBe(false);
  });
});
