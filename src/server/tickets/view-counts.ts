import "server-only";
import { and, count, sql } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import type { Scope } from "../core/scope";
import { ticketFilters } from "./list-tickets";
import type { ListTickets } from "./schemas";
import { loadFieldDefs } from "../fields/custom-values";
import { FINISHED_STATUSES, OPEN_STATUSES } from "../lifecycle/ticket-lifecycle";

type Filters = Omit<ListTickets, "limit" | "cursor" | "sort">;

/** The workspace's views, as list filters; the UI links each to GET /tickets with the same filters. */
export const STAFF_VIEWS: { key: string; label: string; filters: Filters }[] = [
  { key: "mine", label: "My open", filters: { assigneeId: "me", status: [...OPEN_STATUSES] } },
  { key: "unassigned", label: "Unassigned", filters: { assigneeId: "none", status: [...OPEN_STATUSES] } },
  { key: "breaching", label: "Breaching soon", filters: { sla: "breaching" } },
  { key: "all", label: "All open", filters: { status: [...OPEN_STATUSES] } },
  { key: "solved", label: "Solved", filters: { status: [...FINISHED_STATUSES] } },
];

export const CUSTOMER_VIEWS: { key: string; label: string; filters: Filters }[] = [
  { key: "open", label: "Open requests", filters: { status: [...OPEN_STATUSES] } },
  { key: "solved", label: "Solved", filters: { status: [...FINISHED_STATUSES] } },
];

/**
 * Counts stop here: a view shows "1,000+" beyond it. An exact count costs a pass over every
 * matching row (120 ms for the five staff views of a 55k-ticket org); a capped one reads at most
 * this many index entries per view, so a workspace load costs the same at any org size.
 */
export const VIEW_COUNT_CAP = 1000;

/**
 * Ticket counts per view, each scoped exactly like the list it stands for, capped at
 * cap + 1 (a count above the cap means "more than cap").
 */
export async function viewCounts(
  scope: Pick<Scope, "tx" | "user">,
  views: { key: string; filters: Filters }[],
  cap = VIEW_COUNT_CAP,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const defs = views.some((v) => v.filters.cf) ? await loadFieldDefs(scope.tx) : [];
  for (const v of views) {
    const matching = scope.tx
      .select({ one: sql`1`.as("one") })
      .from(tickets)
      .where(and(sql`true`, ...ticketFilters(scope, v.filters, defs)))
      .limit(cap + 1)
      .as("matching");
    const [r] = await scope.tx.select({ n: count() }).from(matching);
    out[v.key] = r?.n ?? 0;
  }
  return out;
}

/** "1,000+" above the cap, else the exact number. */
export function formatViewCount(n: number): string {
  return n > VIEW_COUNT_CAP ? `${VIEW_COUNT_CAP.toLocaleString("en-US")}+` : n.toLocaleString("en-US");
}
