import { z } from "zod";

// Date-time query parameters (export filters): ISO-8601 with an offset, and an instant whose year
// lies in 1970–9999 (UTC). Wider values are valid ISO but useless as filters, and some are not
// dates PostgreSQL accepts (year 0), so they would fail only once a response had started.
// Refused with 400 by the zod parse, before the handler runs (nothing audited, no budget spent).

export const MIN_QUERY_INSTANT = Date.UTC(1970, 0, 1);
export const MAX_QUERY_INSTANT = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
export const QUERY_YEARS = "1970–9999";

export function zQueryDateTime() {
  return z.iso
    .datetime({ offset: true, message: "must be an ISO-8601 date-time, e.g. 2026-01-31T00:00:00Z" })
    .refine(
      (v) => {
        const t = Date.parse(v);
        return Number.isFinite(t) && t >= MIN_QUERY_INSTANT && t <= MAX_QUERY_INSTANT;
      },
      { message: `must be an instant in the years ${QUERY_YEARS} (UTC)` },
    )
    .describe(
      `ISO-8601 date-time with an offset, e.g. 2026-01-31T00:00:00Z; the instant must lie in the years ${QUERY_YEARS} (UTC)`,
    );
}
