import type { Principal } from "../auth/principal";
import type { Role } from "../db/schema/enums";
import { forbidden } from "../http/errors";

// SPEC §4's role table as one declarative rule set. Visibility (what a caller may see at all) is
// separate: a ticket outside it is 404 before any of these rules is asked.

type Subject = Pick<Principal, "userId" | "role">;
type TicketRef = { requesterId: string };

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

export const STAFF_ROLES: readonly Role[] = ["agent", "admin"];
export const isStaff = staff;
