import { AppError } from "../core/errors";
import type { TicketPriority, TicketStatus } from "../db/schema/enums";

// One ticket lifecycle (issue 15 item 4): the status sets, the priority order and the transitions
// by event and role. The writers (update, comment, merge, macros, rules, inbound mail, attachments,
// ratings, customer mail) and the readers (lists, views, SLA, dashboards) take them from here
// instead of spelling them out. A leaf: it imports only the enum types and AppError, so every
// folder may use it without a cycle.

/** Still being worked: every SLA clock may run, the open views list them. */
export const OPEN_STATUSES = ["new", "open", "pending", "on_hold"] as const satisfies readonly TicketStatus[];
/** Finished: the resolution is met, no clock runs. */
export const FINISHED_STATUSES = ["solved", "closed"] as const satisfies readonly TicketStatus[];
/** Most urgent first, as lists, forms and dashboards show them. */
export const PRIORITIES = ["urgent", "high", "normal", "low"] as const satisfies readonly TicketPriority[];

export const isFinished = (status: TicketStatus | string): boolean =>
  (FINISHED_STATUSES as readonly string[]).includes(status);

/** Closed is final: no change, comment, attachment, macro or merge reaches a closed ticket. */
export const isFinal = (status: TicketStatus | string): boolean => status === "closed";

/** The 409 a write gets on a closed ticket, in the words of the operation that was refused. */
export function assertNotFinal(
  status: TicketStatus | string,
  message = "closed tickets are final and cannot be changed",
): void {
  if (isFinal(status)) throw new AppError("conflict", message);
}

/**
 * The status a public comment moves the ticket to, or undefined when it stays: a staff reply opens
 * a new ticket; the requester's (or a customer's) reply reopens a pending or solved one. Internal
 * notes move nothing.
 */
export function statusAfterComment(
  status: TicketStatus,
  by: { staff: boolean; internal: boolean },
): TicketStatus | undefined {
  if (by.internal) return undefined;
  if (by.staff) return status === "new" ? "open" : undefined;
  return status === "pending" || status === "solved" ? "open" : undefined;
}

/** What a customer may do to their own ticket's status: mark it solved, or reopen a solved one. */
export const customerMayMove = (from: TicketStatus, to: TicketStatus): boolean =>
  to === "solved" || (to === "open" && from === "solved");
