import type { tickets } from "../db/schema/tickets";
import type { TicketView } from "./schemas";

export type TicketRow = typeof tickets.$inferSelect;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * A metric is breached as soon as its due time passes unfulfilled (or it was fulfilled late).
 * While paused, the clock stopped at pausedAt, so pausedAt is the reference, not now.
 */
function metric(due: Date | null, fulfilled: Date | null, now: Date, pausedAt: Date | null = null) {
  const reference = fulfilled ?? pausedAt ?? now;
  return {
    dueAt: iso(due),
    fulfilledAt: iso(fulfilled),
    breached: due !== null && reference.getTime() > due.getTime(),
    paused: pausedAt !== null && fulfilled === null,
  };
}

export function toTicketView(t: TicketRow, now = new Date()): TicketView {
  const view: TicketView = {
    id: t.id,
    number: t.number,
    subject: t.subject,
    status: t.status,
    priority: t.priority,
    requesterId: t.requesterId,
    assigneeId: t.assigneeId,
    tags: t.tags,
    createdAt: t.createdAt.toISOString(),
    updatedAt: t.updatedAt.toISOString(),
    firstResponseDue: iso(t.firstResponseDue),
    firstResponseAt: iso(t.firstResponseAt),
    resolveDue: iso(t.resolveDue),
    resolvedAt: iso(t.resolvedAt),
    sla: {
      firstResponse: metric(t.firstResponseDue, t.firstResponseAt, now),
      resolution: metric(t.resolveDue, t.resolvedAt, now, t.slaPausedAt),
    },
  };
  if (t.nextResponseDue) view.sla.nextResponse = metric(t.nextResponseDue, null, now);
  return view;
}
