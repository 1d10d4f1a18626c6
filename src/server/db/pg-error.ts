// PostgreSQL's own error inside whatever wrapped it. drizzle throws a DrizzleQueryError whose
// message quotes the whole statement and its parameters (a report or a rule's last error would
// repeat the data); PostgreSQL's error, with its SQLSTATE, is its cause.

type PgError = Error & { code: string };

/** The first error along the cause chain that carries a SQLSTATE, or undefined. */
export function pgErrorOf(err: unknown): PgError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (e instanceof Error && typeof code === "string" && /^[0-9A-Z]{5}$/.test(code)) return e as PgError;
  }
  return undefined;
}

/** PostgreSQL's words when the database refused something, else the error's own message. */
export function databaseMessage(err: unknown): string {
  return pgErrorOf(err)?.message || (err instanceof Error ? err.message : String(err));
}

/** The database refused the data itself: SQLSTATE class 22 (data exception) or 23 (constraint violation). */
export function isDataError(err: unknown): boolean {
  return /^2[23]/.test(pgErrorOf(err)?.code ?? "");
}

/** PostgreSQL aborted the transaction as a deadlock victim (40P01) or a serialization failure (40001): it can run again. */
export function isTransientConflict(err: unknown): boolean {
  const code = pgErrorOf(err)?.code;
  return code === "40P01" || code === "40001";
}
