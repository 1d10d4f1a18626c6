// CSV as RFC 4180 has it (CRLF rows, fields with a comma, quote or line break quoted, quotes
// doubled), plus the OWASP defence against formula injection: a cell a spreadsheet would read as
// a formula (= + - @, or a leading tab or CR) gets a leading apostrophe, so it stays text.
// Character tests rather than regular expressions: this runs for every free-text cell of an export.

const APOSTROPHE_BEFORE = new Set([61 /* = */, 43 /* + */, 45 /* - */, 64 /* @ */, 9 /* tab */, 13 /* CR */]);

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number") return String(value);
  const s = APOSTROPHE_BEFORE.has(value.charCodeAt(0)) ? `'${value}` : value;
  if (s.includes('"')) return `"${s.replace(/"/g, '""')}"`;
  return s.includes(",") || s.includes("\n") || s.includes("\r") ? `"${s}"` : s;
}

export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
