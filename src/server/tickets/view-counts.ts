import "server-only";
import { and, count, sql } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import type { Ctx } from "../http/route";
import { ticketFilters } from "./list-tickets";
import type { ListTickets } from "./schemas";

type Filters = Omit<ListTickets, "limit" | "cursor" | "sort">;

/** The workspace's views, as list filters; the UI links each to GET /tickets with the same filters. */
export const STAFF_VIEWS: { key: string; label: string; filters: Filters }[] = [
  { key: "mine", label: "My open", filters: { assigneeId: "me", status: ["new", "open", "pending", "on_hold"] } },
  { key: "unassigned", label: "Unassigned", filters: { assigneeId: "none", status: ["new", "open", "pending", "on_hold"] } },
  { key: "breaching", label: "Breaching soon", filters: { sla: "breaching" } },
  { key: "all", label: "All open", filters: { status: ["new", "open", "pending", "on_hold"] } },
  { key: "solved", label: "Solved", filters: { status: ["solved", "closed"] } },
];

export const CUSTOMER_VIEWS: { key: string; label: string; filters: Filters }[] = [
  { key: "open", label: "Open requests", filters: { status: ["new", "open", "pending", "on_hold"] } },
  { key: "solved", label: "Solved", filters: { status: ["solved", "closed"] } },
];

/** Ticket counts per view, each scoped exactly like the list it stands for. */
export async function viewCounts(ctx: Pick<Ctx, "tx" | "user">, views: { key: string; filters: Filters }[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of views) {
    const [r] = await ctx.tx.select({ n: count() }).from(tickets).where(and(sql`true`, ...ticketFilters(ctx, v.filters)));
    out[v.key] = r?.n ?? 0;
  }
  return out;
}
