import { AppError } from "./errors";

// Any thrown value as an AppError, for the transport (an answer) and for domain code that records
// or classifies a failure (a job's rejection guard, org bootstrap): a leaf beside AppError, so
// neither needs the transport layer.

// PostgreSQL and connection failures that mean "the database is not there right now".
const UNAVAILABLE_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ETIMEDOUT",
  "EPIPE",
  "57P01",
  "57P02",
  "57P03",
  "53300",
]);

/** Maps any thrown value to an AppError; unknown errors become `internal` with no detail. */
export function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  const e = err as { code?: unknown; message?: unknown; cause?: unknown } | null;
  // drizzle wraps driver errors; look through to the cause.
  const code =
    typeof e?.code === "string"
      ? e.code
      : typeof (e?.cause as { code?: unknown })?.code === "string"
        ? (e!.cause as { code: string }).code
        : undefined;
  // …and to its message: a failed ROLLBACK after a lost connection is drizzle's error around pg's.
  const causeMessage = (e?.cause as { message?: unknown } | undefined)?.message;
  const message = `${typeof e?.message === "string" ? e.message : ""}\n${typeof causeMessage === "string" ? causeMessage : ""}`;
  if (code && (UNAVAILABLE_CODES.has(code) || code.startsWith("08"))) {
    return new AppError("unavailable", "the database is unavailable; try again shortly", undefined, {
      "Retry-After": "5",
    });
  }
  if (
    /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|Client was closed and is not queryable/i.test(
      message,
    )
  ) {
    return new AppError("unavailable", "the database is unavailable; try again shortly", undefined, {
      "Retry-After": "5",
    });
  }
  switch (code) {
    case "23505":
      return new AppError("conflict", "a resource with these values already exists");
    case "40001":
    case "40P01":
      return new AppError("conflict", "a concurrent change conflicted with this one; retry");
    case "42501":
      // Row-level security refused the row: it belongs to another org, which callers must not learn.
      return new AppError("not_found", "resource not found");
    // Data the caller sent that PostgreSQL refuses: malformed values (22P02), too long (22001), out
    // of range (22003), a date-time it cannot read (22007, 22008: e.g. a cursor replayed on a list
    // it was not made for), a NUL character in text (22021) or in JSON (22P05), a broken reference or check.
    case "22P02":
    case "22001":
    case "22003":
    case "22007":
    case "22008":
    case "22021":
    case "22P05":
    case "23503":
    case "23514":
      return new AppError("validation_failed", "invalid input");
  }
  return new AppError("internal", "internal error");
}
