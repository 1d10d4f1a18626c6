import pg from "pg";

/**
 * Counts the statements and commits this process sends, where every query of the app passes
 * (pg.Client#query), so a bench can say how many round trips and commits one unit of work costs
 * (read the counter before and after). Installed once per process; the counter it returns is live.
 */
export function countStatements(): { statements: number; commits: number } {
  const counted = { statements: 0, commits: 0 };
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (this: pg.Client, ...a: unknown[]) {
    counted.statements++;
    const text = typeof a[0] === "string" ? a[0] : (a[0] as { text?: string } | undefined)?.text;
    if (text && /^\s*commit\b/i.test(text)) counted.commits++;
    return (query as (...x: unknown[]) => unknown).apply(this, a);
  } as typeof pg.Client.prototype.query;
  return counted;
}
