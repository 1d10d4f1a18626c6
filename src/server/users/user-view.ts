import { z } from "zod";
import { ROLES } from "../db/schema/enums";
import type { users } from "../db/schema/users";

export const ZUser = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  orgId: z.uuid(),
  blocked: z.boolean(),
  createdAt: z.iso.datetime(),
});
export type UserView = z.infer<typeof ZUser>;

export function toUserView(u: typeof users.$inferSelect): UserView {
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    orgId: u.orgId,
    blocked: u.blockedAt !== null,
    createdAt: u.createdAt.toISOString(),
  };
}

/** What an admin sees of one user (GET /users/:id): the SPEC shape plus account-security state. */
export const ZUserDetail = ZUser.extend({
  /** Invited and has not chosen a password yet. */
  invited: z.boolean(),
  mustChangePassword: z.boolean(),
  twoFactorEnabled: z.boolean(),
  lastSignInAt: z.iso.datetime().nullable(),
  /** Mail to this address bounced for good (a delivery report, decision 035): replies and notifications are not emailed until they write in again. */
  emailBouncing: z.object({ since: z.iso.datetime(), reason: z.string() }).nullable(),
});
export type UserDetail = z.infer<typeof ZUserDetail>;

export function toUserDetail(u: typeof users.$inferSelect): UserDetail {
  return {
    ...toUserView(u),
    // No password and no pending reset: an invitation not yet accepted (a reset clears the hash too).
    invited: u.passwordHash === null && !u.mustChangePassword,
    mustChangePassword: u.mustChangePassword,
    twoFactorEnabled: u.totpEnabledAt !== null,
    lastSignInAt: u.lastSignInAt?.toISOString() ?? null,
    emailBouncing: u.emailBouncingAt
      ? { since: u.emailBouncingAt.toISOString(), reason: u.emailBouncingReason ?? "" }
      : null,
  };
}
