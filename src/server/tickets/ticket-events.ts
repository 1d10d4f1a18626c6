import "server-only";
import { and, asc, eq } from "drizzle-orm";
import { auditEvents } from "../db/schema/audit";
import { slaEvents } from "../db/schema/sla";
import type { Scope } from "../core/scope";
import { loadVisibleTicket } from "./load-ticket";
import { assertCan } from "../authz/permissions";

export type TicketEvent = {
  source: "audit" | "sla";
  at: string;
  action: string;
  actorId: string | null;
  data: Record<string, unknown>;
  seq: number | null;
};

/** A ticket's history for staff: its audit chain entries and SLA events, in time order. */
export async function ticketEvents(scope: Scope, ticketId: string): Promise<{ data: TicketEvent[] }> {
  const t = await loadVisibleTicket(scope.tx, scope.user, ticketId);
  assertCan(scope.user, "ticket.events", t);
  const [audit, sla] = await Promise.all([
    scope.tx
      .select()
      .from(auditEvents)
      .where(and(eq(auditEvents.entityType, "ticket"), eq(auditEvents.entityId, t.id)))
      .orderBy(asc(auditEvents.seq)),
    scope.tx.select().from(slaEvents).where(eq(slaEvents.ticketId, t.id)).orderBy(asc(slaEvents.at)),
  ]);
  const events: TicketEvent[] = [
    ...audit.map((a) => ({ source: "audit" as const, at: a.at.toISOString(), action: a.action, actorId: a.actorId, data: a.data, seq: a.seq })),
    ...sla.map((s) => ({
      source: "sla" as const,
      at: s.at.toISOString(),
      action: `sla.${s.metric}.${s.kind}`,
      actorId: null,
      data: { ...s.data, dueAt: s.dueAt?.toISOString() ?? null },
      seq: null,
    })),
  ];
  events.sort((a, b) => a.at.localeCompare(b.at) || (a.source === b.source ? 0 : a.source === "audit" ? -1 : 1));
  return { data: events };
}
