// npm run attachments:sweep [-- --dry-run] [--older-than 60]: remove stored attachment bytes that
// no attachment row names (an upload killed between storing and committing), older than the given
// minutes (default 60), plus stale spool/temp files, and the import spool files and work directories
// on this machine that no queued or running import owns. The worker runs the same sweep daily at 03:17.
import { parseArgs } from "node:util";
import { boot } from "./lib/boot";
import { closeDb } from "../src/server/db/client";
import { ORPHAN_MIN_AGE_MS, unsafeSweepOrphanUploads } from "../src/server/attachments/sweep-orphans";
import { unsafeSweepImportFiles } from "../src/server/import/sweep-import-files";

const { values } = parseArgs({
  options: {
    "dry-run": { type: "boolean", default: false },
    "older-than": { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const minutes = values["older-than"] === undefined ? ORPHAN_MIN_AGE_MS / 60_000 : Number(values["older-than"]);
if (!Number.isFinite(minutes) || minutes < 10) {
  console.error(
    "--older-than takes minutes, at least 10 (an upload younger than that may still be on its way to its commit).",
  );
  process.exit(2);
}
const booted = await boot({ quiet: true });
let code = 0;
try {
  const r = await unsafeSweepOrphanUploads({ minAgeMs: minutes * 60_000, dryRun: values["dry-run"] });
  const i = await unsafeSweepImportFiles({ minAgeMs: minutes * 60_000, dryRun: values["dry-run"] });
  console.log(
    values.json
      ? JSON.stringify({ ...r, ...i })
      : `${r.scanned} stored object(s) scanned, ${r.orphans} orphaned (older than ${minutes} min), ` +
          (r.dryRun
            ? "nothing deleted (dry run)"
            : `${r.deleted} deleted, ${r.tempFilesRemoved} stale temp file(s) removed`) +
          `\nimports on this machine: ${i.spoolFilesRemoved} upload spool file(s) and ${i.workDirsRemoved} work director${i.workDirsRemoved === 1 ? "y" : "ies"} ` +
          (i.dryRun ? "to remove (dry run)" : "removed"),
  );
} catch (err) {
  console.error(`attachments:sweep: ${err instanceof Error ? err.message : String(err)}`);
  code = 1;
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);
