"use client";

import { localDateTime, relativeTime, utcDateTime } from "@/lib/ticket-labels";
import { useHydrated } from "./use-hydrated";

/**
 * A timestamp in the reader's own time zone. The server renders UTC (it does not know the
 * browser's zone) and the browser swaps in local time once hydrated, without a mismatch.
 */
export function LocalTime({ iso, relativeTo, className }: { iso: string; relativeTo?: number; className?: string }) {
  const hydrated = useHydrated();
  const absolute = hydrated ? localDateTime(iso) : utcDateTime(iso);
  return (
    <time dateTime={iso} title={absolute} className={className}>
      {relativeTo !== undefined ? relativeTime(iso, relativeTo) : absolute}
    </time>
  );
}
