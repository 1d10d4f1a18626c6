import type { Principal } from "../core/principal";
import type { Role } from "../db/schema/enums";
import { AppError, forbidden } from "../core/errors";

// SPEC §4's role table as one declarative rule set, the one home of "who may do X" for the whole
// domain (issue 15 item 2, docs/decisions/033). Visibility (what a caller may see at all,
// ./visibility.ts) is separate: a ticket outside it is 404 before any of these rules is asked.
// Route-level rules (which roles may call an endpoint) are ./rules.ts.

type Subject = Pick<Principal, "userId" | "role">;
type TicketRef = { requesterId: string };
/** The fields of a new ticket some roles may not set (a CreateTicket, or any part of one). */
type NewTicketFields = { priority?: unknown; tags?: unknown };

const staff = (u: Subject) => u.role === "agent" || u.role === "admin";
const admin = (u: Subject) => u.role === "admin";
const requester = (u: Subject, t?: TicketRef) => t !== undefined && t.requesterId === u.userId;

const RULES = {
  "ticket.create": () => true,
  "ticket.create.for_other_requester": staff,
  "ticket.view": (u: Subject, t?: TicketRef) => staff(u) || requester(u, t),
  "ticket.comment.public": (u: Subject, t?: TicketRef) => staff(u) || requester(u, t),
  "ticket.comment.internal": staff,
  "ticket.internal.view": staff,
  "ticket.status.any": staff,
  "ticket.status.solve_or_reopen": (u: Subject, t?: TicketRef) => staff(u) || requester(u, t),
  "ticket.priority": staff,
  "ticket.assign": staff,
  "ticket.tags": staff,
  "ticket.subject": staff,
  "ticket.events": staff,
  "users.list": staff,
  /** Resolve any user of the org to name, email and role (ticket screens, requester picker). */
  "users.directory": staff,
  /** GET /users beyond agents and admins (SPEC §6: "agents may list agents"). */
  "users.list.customers": admin,
  "users.manage": admin,
  "org.admin": admin,
} satisfies Record<string, (u: Subject, t?: TicketRef) => boolean>;

export type Action = keyof typeof RULES;

export function can(user: Subject, action: Action, ticket?: TicketRef): boolean {
  return RULES[action](user, ticket);
}

export function assertCan(user: Subject, action: Action, ticket?: TicketRef, message?: string): void {
  if (!can(user, action, ticket)) throw forbidden(message ?? `your role may not do this (${action})`);
}

/**
 * Fields of a new ticket that need more than "ticket.create": the same rules that decide who may
 * change them later (SPEC §4: customers do not set priority or tags). Supplying one without the
 * permission is 403, even at its default value, so a client learns the rule instead of having its
 * input silently dropped (docs/decisions/016-customer-ticket-fields.md). requesterId has its own
 * rule (ticket.create.for_other_requester), asked only when it names someone else.
 */
const CREATE_TICKET_FIELDS = {
  priority: "ticket.priority",
  tags: "ticket.tags",
} as const satisfies Record<keyof NewTicketFields, Action>;

/** The fields of `input` the caller may not set when opening a ticket (empty when all are allowed). */
export function deniedCreateFields(user: Subject, input: NewTicketFields): (keyof typeof CREATE_TICKET_FIELDS)[] {
  return (Object.keys(CREATE_TICKET_FIELDS) as (keyof typeof CREATE_TICKET_FIELDS)[]).filter(
    (field) => input[field] !== undefined && !can(user, CREATE_TICKET_FIELDS[field]),
  );
}

export function assertMayCreateTicketWith(user: Subject, input: NewTicketFields): void {
  const fields = deniedCreateFields(user, input);
  if (fields.length === 0) return;
  throw new AppError("forbidden", `only agents and admins may set ${fields.join(" and ")} when opening a ticket`, {
    reason: "staff_only_field",
    fields,
  });
}

export const STAFF_ROLES: readonly Role[] = ["agent", "admin"];
export const isStaff = staff;
