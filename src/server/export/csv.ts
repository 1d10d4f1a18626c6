// CSV as RFC 4180 has it (CRLF rows, fields with a comma, quote or line break quoted, quotes
// doubled), plus the OWASP defence against formula injection: a cell a spreadsheet would read as
// a formula (= + - @, or a leading tab or CR) gets a leading apostrophe, so it stays text.

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]/;

export function csvCell(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let s = String(value);
  if (typeof value === "string" && FORMULA_START.test(s)) s = `'${s}`;
  return NEEDS_QUOTES.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvRow(cells: readonly (string | number | null | undefined)[]): string {
  return `${cells.map(csvCell).join(",")}\r\n`;
}
