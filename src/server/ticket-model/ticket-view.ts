import { getTableColumns } from "drizzle-orm";
import { tickets } from "../db/schema/tickets";
import type { Tx } from "../db/tenant";
import type { Principal } from "../core/principal";
import { showsSlaToCustomers } from "../orgs/customer-sla";
import { isStaff } from "../authz/permissions";
import { customerValues, customerVisibleKeys } from "../fields/custom-values";
import type { AnyTicketView, CustomerTicketView, TicketView } from "../tickets/schemas";

/**
 * A ticket as the domain reads it: every column but search_vector, which only the database's
 * search uses. Fetching it cost ~500 bytes of tsvector text per row for nothing (13 KB per list
 * page, parsed by the driver on every request).
 */
const { searchVector: _searchVector, ...ticketColumnSet } = getTableColumns(tickets);
export const ticketColumns = ticketColumnSet;
export type TicketRow = Omit<typeof tickets.$inferSelect, "searchVector">;

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
    groupId: t.groupId,
    tags: t.tags,
    customFields: t.customFields,
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

/**
 * A ticket as its requester sees it: no priority, tags, assignee or group; custom fields only the
 * customer-visible ones; SLA fields only when shown.
 */
export function toCustomerTicketView(
  t: TicketRow,
  opts: { showSla: boolean; visibleFields: ReadonlySet<string> },
  now = new Date(),
): CustomerTicketView {
  const full = toTicketView(t, now);
  const view: CustomerTicketView = {
    id: full.id,
    number: full.number,
    subject: full.subject,
    status: full.status,
    requesterId: full.requesterId,
    customFields: customerValues(t.customFields, opts.visibleFields),
    createdAt: full.createdAt,
    updatedAt: full.updatedAt,
  };
  if (!opts.showSla) return view;
  const { firstResponseDue, firstResponseAt, resolveDue, resolvedAt, sla } = full;
  return { ...view, firstResponseDue, firstResponseAt, resolveDue, resolvedAt, sla };
}

type Viewer = { tx: Tx; user: Pick<Principal, "role" | "userId" | "orgId"> };
export type TicketViewer = (t: TicketRow, now?: Date) => AnyTicketView;

/** Whether the caller is a customer of an org that shows them SLA targets; not read for staff, who see every field. */
export async function customerSeesSla(scope: Viewer): Promise<boolean> {
  return !isStaff(scope.user) && (await showsSlaToCustomers(scope.tx, scope.user.orgId));
}

/** The custom fields a customer caller may see (none are read for staff, who see every one). */
export async function customerFieldKeys(scope: Viewer): Promise<ReadonlySet<string>> {
  return isStaff(scope.user) ? new Set() : customerVisibleKeys(scope.tx);
}

/** How the caller sees tickets: the full view for agents and admins, the customer view for customers. */
export function viewerFor(
  user: Viewer["user"],
  showSla: boolean,
  visibleFields: ReadonlySet<string> = new Set(),
): TicketViewer {
  if (isStaff(user)) return (t, now) => toTicketView(t, now);
  return (t, now) => toCustomerTicketView(t, { showSla, visibleFields }, now);
}

/** `viewerFor` the caller, with the org's showSlaToCustomers setting and visible fields read once here, not per ticket. */
export async function ticketViewer(scope: Viewer): Promise<TicketViewer> {
  return viewerFor(scope.user, await customerSeesSla(scope), await customerFieldKeys(scope));
}
