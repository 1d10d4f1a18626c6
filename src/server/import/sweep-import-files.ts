import "server-only";
import { readdir, rm, stat } from "node:fs/promises";
import path from "node:path";
import { sql } from "drizzle-orm";
import { unsafeWithSystem } from "../db/tenant";
import { importWorkRoot } from "./work-dir";

/**
 * Files younger than this are left alone: an upload's spool file is written as the bytes come and
 * then read for its check and its put, and a job unpacks an export into a fresh staging directory.
 */
export const IMPORT_FILES_MIN_AGE_MS = 60 * 60 * 1000;

export type ImportFilesSweepResult = { spoolFilesRemoved: number; workDirsRemoved: number };

const U = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
const UUID = new RegExp(`^${U}$`);
/** A staging directory of prepareInput (import-job.ts): `.<import id>.<uuid>`. */
const STAGING = new RegExp(`^\\.(${U})\\.${U}$`);

async function entries(dir: string): Promise<string[]> {
  try {
    return await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw err;
  }
}

/** When the entry was last written (a directory: when an entry in it was added or removed), or null if it is gone. */
async function modifiedAt(p: string): Promise<Date | null> {
  const st = await stat(p).catch(() => null);
  return st ? st.mtime : null;
}

/**
 * Removes what a killed process left of imports on this machine's disk (BEACON_DATA_DIR/imports,
 * decision 062): upload spool files (`spool/*.upload`, a process killed mid-upload or before its
 * cleanup), and work and staging directories of imports that no longer run (finished, failed,
 * cancelled or deleted: a job that resumes one fetches its export again). Only entries last written
 * before `minAgeMs` are candidates, and the directories of an import that is queued or running are
 * kept whatever their age. Reads every org's
 * imports (the system path), hence unsafe…; run by the worker when it starts and by the daily
 * `upload-sweep` job, and by `npm run attachments:sweep`.
 */
export async function unsafeSweepImportFiles(
  opts: { minAgeMs?: number; now?: Date; dryRun?: boolean } = {},
): Promise<ImportFilesSweepResult & { dryRun: boolean }> {
  const dryRun = opts.dryRun ?? false;
  const before = (opts.now ?? new Date()).getTime() - (opts.minAgeMs ?? IMPORT_FILES_MIN_AGE_MS);
  const old = async (p: string) => {
    const m = await modifiedAt(p);
    return m !== null && m.getTime() < before;
  };
  const result = { spoolFilesRemoved: 0, workDirsRemoved: 0, dryRun };
  const root = importWorkRoot();

  const spool = path.join(root, "spool");
  for (const name of await entries(spool)) {
    const file = path.join(spool, name);
    if (!(await old(file))) continue;
    result.spoolFilesRemoved++;
    if (!dryRun) await rm(file, { recursive: true, force: true });
  }

  const work = path.join(root, "work");
  const candidates: { dir: string; importId: string | null }[] = [];
  for (const name of await entries(work)) {
    const dir = path.join(work, name);
    if (!(await old(dir))) continue;
    // A staging directory is kept while its import runs too (a long unpacking writes below it, not in
    // it); anything else here that names no import is not ours to keep.
    const importId = UUID.test(name) ? name : (STAGING.exec(name)?.[1] ?? null);
    candidates.push({ dir, importId });
  }
  const ids = candidates.flatMap((c) => (c.importId ? [c.importId] : []));
  const running = new Set<string>();
  if (ids.length) {
    const rows = await unsafeWithSystem((tx) =>
      tx.execute<{ id: string }>(
        sql`select id::text from imports where id = any(${sql.param(ids)}::uuid[]) and state in ('queued', 'running')`,
      ),
    );
    for (const r of rows.rows) running.add(r.id);
  }
  for (const c of candidates) {
    if (c.importId && running.has(c.importId)) continue;
    result.workDirsRemoved++;
    if (!dryRun) await rm(c.dir, { recursive: true, force: true });
  }
  return result;
}
