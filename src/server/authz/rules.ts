import { ROLES, type Role } from "../db/schema/enums";

// Who may call a route, by rule name: the route table names one of these (`can: "org.admin"`)
// instead of listing roles, so "admin only" is stated once for the API (issue 15 item 2). The
// domain's finer permission rules (tickets/permissions.ts) move beside this table later; the names
// that exist in both ("org.admin") mean the same roles in both.

export const ROUTE_RULES = {
  /** No sign-in at all: the token grant and setup links. */
  public: null,
  /** Any signed-in caller, whatever the role. */
  "signed-in": ROLES,
  /** Agents and admins. */
  staff: ["admin", "agent"],
  /** The org's administrators. */
  "org.admin": ["admin"],
} as const satisfies Record<string, readonly Role[] | null>;

export type RouteRule = keyof typeof ROUTE_RULES;
export type SignedInRule = Exclude<RouteRule, "public">;

/** The roles a rule admits (null: the rule needs no sign-in). */
export function rolesOf(rule: RouteRule): readonly Role[] | null {
  return ROUTE_RULES[rule];
}
