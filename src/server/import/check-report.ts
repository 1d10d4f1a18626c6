import type { ImportCounts, ImportReport } from "../db/schema/imports";

/**
 * The check report as text, for the CLI (and later the admin download): per record type, how
 * many the source held and what became of them, each skip reason with its count, then the sample
 * of skipped records. Pure: the numbers are the import's stored counts.
 */
export function formatCheckReport(counts: ImportCounts, report: ImportReport, ignoredFiles: string[] = []): string {
  const lines = [
    "Check report",
    `${"type".padEnd(14)}${["source", "imported", "existing", "matched", "skipped"].map((h) => h.padStart(10)).join("")}`,
  ];
  for (const [type, c] of Object.entries(counts)) {
    const skipped = Object.values(c.skipped).reduce((a, b) => a + b, 0);
    lines.push(
      `${type.padEnd(14)}${[c.source, c.imported, c.existing, c.matched, skipped].map((n) => String(n).padStart(10)).join("")}`,
    );
    if (c.bytes) lines.push(`    bytes: ${c.bytes.source} in the source, ${c.bytes.imported} stored`);
    for (const [why, n] of Object.entries(c.skipped)) lines.push(`    skipped ${n}: ${why}`);
    for (const [what, n] of Object.entries(c.notes ?? {})) lines.push(`    note ${n}: ${what}`);
  }
  if (ignoredFiles.length)
    lines.push(`Files not read (not JSON, or not named for a record type): ${ignoredFiles.join(", ")}`);
  const sample = (report.ticketSample ?? []).filter((t) => t.compared);
  if (sample.length) {
    const diffs = sample.flatMap((t) =>
      Object.entries(t.compared!)
        .filter(([, c]) => !c.equal)
        .map(
          ([field, c]) =>
            `  ticket ${t.sourceId}: ${field}: source ${JSON.stringify(c.source)}, Beacon ${JSON.stringify(c.beacon)}`,
        ),
    );
    lines.push(
      `Sample: ${sample.length} tickets compared field by field, ${diffs.length} differences${diffs.length ? ":" : ""}`,
      ...diffs,
    );
  }
  if (report.skippedSample.length) {
    lines.push(`Skipped records (first ${report.skippedSample.length}):`);
    for (const s of report.skippedSample)
      lines.push(`  ${s.file} record ${s.record}: ${s.type} ${s.sourceId ?? "(no id)"}: ${s.reason}`);
  }
  return lines.join("\n");
}
