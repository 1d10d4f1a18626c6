import "server-only";
import { randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { pipeline } from "node:stream/promises";
import { and, eq, isNull, notInArray } from "drizzle-orm";
import { AppError } from "../core/errors";
import { storage } from "../attachments/configured-storage";
import { imports } from "../db/schema/imports";
import { withTenant } from "../db/tenant";
import { databaseMessage } from "../db/pg-error";
import { env } from "../env";
import { enqueue } from "../jobs/enqueue";
import { QUEUES } from "../jobs/queues";
import { logger } from "../observability/logger";
import { DEFAULT_BATCH_SIZE, type ImportRow } from "./import-run";
import { importRunner, markCancelled } from "./run-import";
import { extractZip, looksLikeZip, ZIP_MAX_ENTRIES } from "./upload/zip";
import { importWorkDir, importWorkRoot } from "./work-dir";

/**
 * Batches per job run. Each run enqueues the next, so a worker that is stopping waits for at most
 * one slice (a few seconds at 200 records a batch), and a run cut anyway resumes from the checkpoint.
 */
export const IMPORT_SLICE_BATCHES = 5;

export type ImportJobResult = { state: "done" | "continued" | "cancelled" | "skipped"; reason?: string };

async function loadRow(orgId: string, importId: string): Promise<ImportRow | undefined> {
  const [row] = await withTenant(orgId, (tx) =>
    tx
      .select()
      .from(imports)
      .where(and(eq(imports.orgId, orgId), eq(imports.id, importId))),
  );
  return row;
}

async function setRow(orgId: string, importId: string, set: Partial<typeof imports.$inferInsert>): Promise<void> {
  await withTenant(orgId, (tx) =>
    tx
      .update(imports)
      .set({ ...set, updatedAt: new Date() })
      .where(and(eq(imports.orgId, orgId), eq(imports.id, importId))),
  );
}

/**
 * The `import` job: one slice of an uploaded import. Fetches the stored export into this
 * machine's work directory (unpacking a zip under the same limits as the upload's check; kept
 * for the next slices), runs the source kind's importer for at most `sliceBatches` batches from
 * the import's checkpoint, and enqueues the next slice, or, once the importer has finished and
 * marked the import done, deletes the stored export and the work directory. A failure is recorded
 * on the import (its `error`) and thrown, so pg-boss retries the slice, which resumes from the
 * checkpoint; after the last retry markImportDead marks it failed.
 */
export async function runImportJob(
  job: { orgId: string; importId: string },
  opts: { batchSize?: number; sliceBatches?: number } = {},
): Promise<ImportJobResult> {
  const { orgId, importId } = job;
  const row = await loadRow(orgId, importId);
  if (!row) return { state: "skipped", reason: "no such import" };
  if (row.state === "done") {
    await removeInput(row);
    return { state: "done" };
  }
  if (row.state === "cancelled") {
    await removeInput(row);
    return { state: "cancelled" };
  }
  const run = importRunner(row.sourceKind);
  if (!row.inputKey || !run) {
    // Nothing a retry could change: said on the import, not thrown.
    const reason = !run ? `no importer for ${row.sourceKind}` : "the import has no uploaded export to read";
    await setRow(orgId, importId, { state: "failed", error: reason });
    return { state: "skipped", reason };
  }
  if (!(await claim(orgId, importId))) {
    // Cancelled while it waited (or asked to stop while a run that died had it): nothing runs; the export goes.
    await markCancelled(orgId, importId);
    await removeInput(row);
    return { state: "cancelled" };
  }
  try {
    const input = await prepareInput(row);
    const result = await run({
      orgId,
      importId,
      input,
      batchSize: opts.batchSize ?? DEFAULT_BATCH_SIZE,
      maxBatches: opts.sliceBatches ?? IMPORT_SLICE_BATCHES,
    });
    if (result.finished) {
      await removeInput(row);
      return { state: result.cancelled ? "cancelled" : "done" };
    }
    await withTenant(orgId, (tx) => enqueue(tx, QUEUES.importRun.name, { orgId, importId }));
    return { state: "continued" };
  } catch (err) {
    // Another run of this import moved the checkpoint (a slice retried while the one before it
    // still ran): that run goes on and enqueues what follows; this one has nothing to do.
    if (err instanceof AppError && err.code === "conflict") return { state: "skipped", reason: err.message };
    await setRow(orgId, importId, { error: databaseMessage(err).slice(0, 1000) }).catch(() => undefined);
    throw err;
  }
}

/**
 * The import is running from now on, unless it was cancelled or asked to stop: the update and a
 * cancel both lock the row, so one of them sees the other (a cancel that comes first leaves nothing
 * to claim; one that comes after sets the flag the next batch reads).
 */
async function claim(orgId: string, importId: string): Promise<boolean> {
  const rows = await withTenant(orgId, (tx) =>
    tx
      .update(imports)
      .set({ state: "running", error: null, updatedAt: new Date() })
      .where(
        and(
          eq(imports.orgId, orgId),
          eq(imports.id, importId),
          notInArray(imports.state, ["done", "cancelled"]),
          isNull(imports.cancelRequestedAt),
        ),
      )
      .returning({ id: imports.id }),
  );
  return rows.length > 0;
}

/** After the last retry failed (the job goes to import-dead): the import is failed, with its last error; the work directory goes, the stored export stays for a replay. */
export async function markImportDead(job: { orgId: string; importId: string }): Promise<void> {
  const row = await loadRow(job.orgId, job.importId);
  await withTenant(job.orgId, (tx) =>
    tx
      .update(imports)
      .set({ state: "failed", error: row?.error ?? "failed every retry", updatedAt: new Date() })
      .where(
        and(
          eq(imports.orgId, job.orgId),
          eq(imports.id, job.importId),
          notInArray(imports.state, ["done", "cancelled"]),
        ),
      ),
  );
  await rm(importWorkDir(job.importId), { recursive: true, force: true });
}

/**
 * The export in the work directory, as its runner reads it: the unpacked folder of a zip
 * (`export/`), or the one file under its uploaded name (`file/<name>`: the runners tell record
 * types by it, tickets.json). Made in a staging directory and renamed into place, so what is
 * there is complete.
 */
async function prepareInput(row: ImportRow): Promise<string> {
  const dir = importWorkDir(row.id);
  const unpacked = path.join(dir, "export");
  const single = path.join(dir, "file", path.basename(row.source));
  const ready = async () =>
    (await stat(unpacked).catch(() => null)) ? unpacked : (await stat(single).catch(() => null)) ? single : undefined;
  const found = await ready();
  if (found) return found;
  const staging = path.join(importWorkRoot(), "work", `.${row.id}.${randomUUID()}`);
  try {
    await mkdir(staging, { recursive: true, mode: 0o700 });
    const download = path.join(staging, "upload");
    await pipeline(await storage().get(row.inputKey!), createWriteStream(download, { flags: "wx", mode: 0o600 }));
    if (looksLikeZip(await headOf(download))) {
      await extractZip(download, path.join(staging, "export"), {
        maxEntries: ZIP_MAX_ENTRIES,
        maxUnzippedBytes: env().IMPORT_MAX_UNZIPPED_BYTES,
      });
      await rm(download, { force: true });
    } else {
      await mkdir(path.join(staging, "file"));
      await rename(download, path.join(staging, "file", path.basename(row.source)));
    }
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
  return (await ready())!;
}

async function headOf(file: string): Promise<Buffer> {
  const fh = await open(file, "r");
  try {
    const buf = Buffer.alloc(8);
    const { bytesRead } = await fh.read(buf, 0, 8, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** A finished import's export is no longer needed: its stored bytes and the work directory go. */
async function removeInput(row: ImportRow): Promise<void> {
  await rm(importWorkDir(row.id), { recursive: true, force: true });
  if (!row.inputKey) return;
  await storage().delete(row.inputKey);
  await setRow(row.orgId, row.id, { inputKey: null });
  logger().info({ orgId: row.orgId, importId: row.id }, "import finished; its uploaded export was deleted");
}
