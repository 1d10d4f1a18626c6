import "server-only";
import { z } from "zod";
import { ROLES } from "../db/schema/enums";
import { users } from "../db/schema/users";
import { recordAudit } from "../audit/record-audit";
import { AppError } from "../core/errors";
import type { Scope } from "../core/scope";
import { hashPassword } from "../auth/password";
import { personalPasswordProblem, ZNewPassword } from "../auth/password-policy";
import { createPasswordLink } from "../auth/setup-link";
import { assertFeatureEnabled } from "../flags/flags";
import { assertCan } from "../authz/permissions";
import { sendPasswordLink, smtpConfigured } from "./send-password-link";
import { toUserView, ZUser } from "./user-view";

export const ZEmail = z
  .string()
  .trim()
  .toLowerCase()
  .max(320, { message: "must be at most 320 characters" })
  .pipe(z.email({ message: "must be an email address" }));

export const ZCreateUser = z
  .strictObject({
    email: ZEmail,
    name: z.string().trim().min(1, { message: "must not be empty" }).max(100),
    role: z.enum(ROLES),
    /** With a password the user is active at once; without one an invitation link is emailed. */
    password: ZNewPassword.optional(),
  })
  .superRefine((v, ctx) => {
    const message = v.password ? personalPasswordProblem(v.password, v) : null;
    if (message) ctx.addIssue({ code: "custom", path: ["password"], message });
  });
export type CreateUser = z.infer<typeof ZCreateUser>;

export const ZCreatedUser = ZUser.extend({
  invited: z.boolean(),
  /** The invitation link, only when no mail server is configured (SMTP_URL unset) for the admin to hand over. */
  inviteUrl: z.string().nullable(),
  inviteExpiresAt: z.iso.datetime().nullable(),
});
export type CreatedUser = z.infer<typeof ZCreatedUser>;

/**
 * POST /users (admin). The email is unique per org whatever its case: the unique index on
 * (org_id, lower(email)) decides, so two concurrent creations of one address give one user and one 409.
 */
export async function createUser(scope: Scope, input: CreateUser): Promise<CreatedUser> {
  assertCan(scope.user, "users.manage");
  // An invitation is a sign-up link; a user created with a password needs none.
  if (!input.password) await assertFeatureEnabled(scope.tx, scope.user.orgId, "signup_tokens");
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const [row] = await scope.tx
    .insert(users)
    .values({ orgId: scope.user.orgId, email: input.email, name: input.name, role: input.role, passwordHash })
    .onConflictDoNothing()
    .returning();
  if (!row) {
    throw new AppError("conflict", `a user with the email ${input.email} already exists in this organization`, {
      issues: [{ in: "body", path: "email", message: "is already taken in this organization" }],
    });
  }
  const link = input.password
    ? null
    : await createPasswordLink(scope.tx, { orgId: scope.user.orgId, userId: row.id }, "invite");
  await recordAudit(
    scope.tx,
    { orgId: scope.user.orgId, actorId: scope.user.userId, requestId: scope.requestId },
    {
      action: "user.created",
      entityType: "user",
      entityId: row.id,
      data: {
        email: row.email,
        name: row.name,
        role: row.role,
        invited: link !== null,
        ...(link ? { inviteExpiresAt: link.expiresAt.toISOString(), inviteEmailed: smtpConfigured() } : {}),
      },
    },
  );
  // Last, so a refused email rolls back everything above and nothing after it can fail.
  const inviteUrl = link
    ? await sendPasswordLink(scope.tx, scope.user.orgId, {
        purpose: "invite",
        to: { email: row.email, name: row.name },
        by: scope.user.name,
        link,
      })
    : null;
  return {
    ...toUserView(row),
    invited: link !== null,
    inviteUrl,
    inviteExpiresAt: link?.expiresAt.toISOString() ?? null,
  };
}
