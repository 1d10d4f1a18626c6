import { eq, type SQL } from "drizzle-orm";
import type { Principal } from "../core/principal";
import { tickets } from "../db/schema/tickets";
import { isStaff } from "./permissions";

/** What the caller may see: staff see the org's tickets (RLS scopes the org), customers their own. */
export function visibleTo(user: Pick<Principal, "userId" | "role">): SQL | undefined {
  return isStaff(user) ? undefined : eq(tickets.requesterId, user.userId);
}
