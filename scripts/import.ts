// npm run import -- <source> <dir or file> --org <slug> [--map mapping.json] [--resume <import id>] [--batch-size N] [--json]
// Imports an export from another helpdesk (source: one of RUNNABLE_SOURCE_KINDS; zendesk: the
// account JSON export, or incremental export API pages; freshdesk: API v2 JSON files; csv: one
// CSV file read by the column mapping given with --map, kept as the import's options) into an
// org, printing progress, then the check report.
// Stopped at any point (Ctrl-C, kill -9), the same command with --resume <import id> goes on after
// the last committed batch; run again without --resume, it writes nothing that is already there.
// Nothing is sent during an import: no emails, notifications, triggers or webhooks.
// Exit codes: 0 done, 1 failure, 2 usage, 3 no such org or import.
import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sql } from "drizzle-orm";
import { boot } from "./lib/boot";
import { parseCli, usageError } from "./lib/cli";
import { AppError } from "../src/server/core/errors";
import { closeDb } from "../src/server/db/client";
import { unsafeWithSystem } from "../src/server/db/tenant";
import { createImport, finishImport, loadImport } from "../src/server/import/import-run";
import { formatCheckReport } from "../src/server/import/check-report";
import { DEFAULT_BATCH_SIZE } from "../src/server/import/import-run";
import { importRunner, RUNNABLE_SOURCE_KINDS } from "../src/server/import/run-import";
import { validateCsvImport } from "../src/server/import/csv/import-csv";
import type { ImportSourceKind } from "../src/server/db/schema/imports";

const USAGE = `Usage: npm run import -- <${RUNNABLE_SOURCE_KINDS.join("|")}> <dir or file> --org <slug> [--map mapping.json (csv)] [--resume <import id>] [--batch-size N] [--json]`;
/** The kinds whose runner reads options (a CSV's column mapping); the others take none. */
const TAKES_MAP: readonly ImportSourceKind[] = ["csv"];
const parsed = parseCli(USAGE, {
  options: {
    org: { type: "string" },
    resume: { type: "string" },
    map: { type: "string" },
    "batch-size": { type: "string" },
    json: { type: "boolean", default: false },
  },
  strict: true,
  allowPositionals: true,
});
const [source, input, ...extra] = parsed.positionals;
const run = source ? importRunner(source as ImportSourceKind) : undefined;
if (!run)
  usageError(
    USAGE,
    source ? `unknown source: ${source} (supported: ${RUNNABLE_SOURCE_KINDS.join(", ")})` : "no source given",
  );
const sourceKind = source as ImportSourceKind;
if (!input || extra.length)
  usageError(USAGE, input ? `unexpected: ${extra.join(" ")}` : "no export file or directory given");
if (!parsed.values.org) usageError(USAGE, "--org is required");
const batchSize = parsed.values["batch-size"] === undefined ? DEFAULT_BATCH_SIZE : Number(parsed.values["batch-size"]);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 5000)
  usageError(USAGE, "--batch-size must be an integer from 1 to 5000");

// A path that is not there is the operator's typo: refused before an import is recorded.
if (!statSync(input, { throwIfNoEntry: false })) usageError(USAGE, `no such file or directory: ${input}`);

// The mapping is checked (its keys, and its columns against the file's header) before anything is written.
let options: Record<string, unknown> | undefined;
if (parsed.values.map !== undefined) {
  if (!TAKES_MAP.includes(sourceKind))
    usageError(USAGE, `--map is for ${TAKES_MAP.join(", ")} imports; ${sourceKind} takes none`);
  if (parsed.values.resume)
    usageError(USAGE, "--map is not taken with --resume: a resumed import keeps the mapping it started with");
  try {
    options = JSON.parse(readFileSync(parsed.values.map, "utf8")) as Record<string, unknown>;
  } catch (err) {
    usageError(USAGE, `--map ${parsed.values.map}: ${err instanceof Error ? err.message : String(err)}`);
  }
  try {
    await validateCsvImport(input, options);
  } catch (err) {
    usageError(USAGE, err instanceof Error ? err.message : String(err));
  }
} else if (TAKES_MAP.includes(sourceKind) && !parsed.values.resume)
  usageError(USAGE, `a ${sourceKind} import needs --map <mapping.json> (its columns; see docs/runbooks.md)`);

/** The operator names the org by slug: the one cross-org lookup; everything after runs in the org's tenant transactions. */
async function unsafeOrgIdBySlug(slug: string): Promise<string | undefined> {
  const found = await unsafeWithSystem((tx) =>
    tx.execute<{ id: string }>(sql`select id from orgs where lower(slug) = lower(${slug})`),
  );
  return found.rows[0]?.id;
}

const booted = await boot({ quiet: true });
let code = 0;
let importId: string | undefined;
let orgId: string | undefined;
try {
  orgId = await unsafeOrgIdBySlug(parsed.values.org!);
  if (!orgId) {
    console.error(`no org with slug ${parsed.values.org}`);
    code = 3;
  } else {
    importId =
      parsed.values.resume ??
      (await createImport(orgId, { sourceKind, source: path.resolve(input), createdBy: null, options })).id;
    if (parsed.values.resume) {
      // The checkpoint counts records per file name: resuming over another export would skip records it never read.
      const earlier = await loadImport(orgId, importId);
      if (earlier.source !== path.resolve(input))
        console.error(
          `warning: import ${importId} was started on ${earlier.source}; resuming on ${path.resolve(input)}`,
        );
    }
    if (!parsed.values.json)
      console.error(
        `import ${importId}${parsed.values.resume ? " (resumed)" : ""}: ${input} into ${parsed.values.org}`,
      );
    const r = await run!({
      orgId,
      importId,
      input,
      batchSize,
      onProgress: (p) => {
        if (!parsed.values.json)
          console.error(
            `  ${p.file}: ${p.type} records 1-${p.records} done (${Object.entries(p.counts)
              .map(([t, c]) => `${t} ${c.imported}`)
              .join(", ")} imported)`,
          );
      },
    });
    if (parsed.values.json)
      console.log(
        JSON.stringify({
          importId,
          finished: r.finished,
          counts: r.counts,
          report: r.report,
          ignoredFiles: r.ignoredFiles,
        }),
      );
    else
      console.log(
        `import ${importId} ${r.cancelled ? "cancelled" : r.finished ? "done" : "stopped"}\n${formatCheckReport(r.counts, r.report, r.ignoredFiles)}`,
      );
  }
} catch (err) {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof AppError && err.code === "not_found") {
    console.error(`import: ${message}`);
    code = 3;
  } else {
    console.error(
      `import: ${message}${importId ? `\nresume with: npm run import -- ${sourceKind} ${input} --org ${parsed.values.org} --resume ${importId}` : ""}`,
    );
    if (importId && orgId && !(err instanceof AppError && err.code === "conflict"))
      await finishImport(orgId, importId, "failed", message).catch(() => undefined);
    code = 1;
  }
} finally {
  await closeDb();
  await booted.shutdown();
}
process.exit(code);
