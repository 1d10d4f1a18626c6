// Plain-text pass/fail tables for db:restore's verification and release:check.

export type Status = "PASS" | "FAIL" | "SKIP";

/** Renders rows as aligned columns; the last column is left unpadded (it may be long). */
export function renderTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [
    line(header),
    line(widths.map((w, i) => "-".repeat(i === widths.length - 1 ? header[i]!.length : w))),
    ...rows.map(line),
  ].join("\n");
}

export const statusOf = (ok: boolean | null): Status => (ok === null ? "SKIP" : ok ? "PASS" : "FAIL");
