import { randomBytes } from "node:crypto";
import { unsafeWithSystem } from "../../src/server/db/tenant";
import { orgs } from "../../src/server/db/schema/orgs";
import { users } from "../../src/server/db/schema/users";
import type { Role } from "../../src/server/db/schema/enums";
import { hashPassword } from "../../src/server/auth/password";
import { encodeSession, sessionCookieName } from "../../src/server/auth/session-cookie";

// Factories create their own rows in their own org: no shared fixtures between tests.

const uniq = () => randomBytes(4).toString("hex");

export type TestOrg = { id: string; slug: string; name: string };
export type TestUser = {
  id: string;
  orgId: string;
  email: string;
  role: Role;
  password: string;
  sessionVersion: number;
};

export async function createOrg(
  overrides: Partial<{ name: string; slug: string; timezone: string }> = {},
): Promise<TestOrg> {
  const slug = overrides.slug ?? `org-${uniq()}`;
  const [org] = await unsafeWithSystem((tx) =>
    tx
      .insert(orgs)
      .values({ name: overrides.name ?? `Org ${slug}`, slug, timezone: overrides.timezone ?? "UTC" })
      .returning(),
  );
  return { id: org!.id, slug: org!.slug, name: org!.name };
}

// argon2 is deliberately slow; hash the common test password once per file.
let defaultHash: Promise<string> | undefined;
export const TEST_PASSWORD = "correct horse battery staple";

export async function createUser(
  org: { id: string },
  opts: Partial<{
    role: Role;
    email: string;
    name: string;
    password: string;
    blocked: boolean;
    mustChangePassword: boolean;
  }> = {},
): Promise<TestUser> {
  const password = opts.password ?? TEST_PASSWORD;
  const hash = opts.password ? await hashPassword(opts.password) : await (defaultHash ??= hashPassword(TEST_PASSWORD));
  const role = opts.role ?? "agent";
  const email = opts.email ?? `${role}-${uniq()}@example.test`;
  const [u] = await unsafeWithSystem((tx) =>
    tx
      .insert(users)
      .values({
        orgId: org.id,
        email,
        name: opts.name ?? `${role} ${email}`,
        role,
        passwordHash: hash,
        blockedAt: opts.blocked ? new Date() : null,
        mustChangePassword: opts.mustChangePassword ?? false,
      })
      .returning(),
  );
  return { id: u!.id, orgId: org.id, email, role, password, sessionVersion: u!.sessionVersion };
}

/** A Cookie header carrying a NextAuth session for the user, as the sign-in form would set it. */
export async function sessionCookie(u: { id: string; orgId: string; sessionVersion: number }): Promise<string> {
  const value = await encodeSession({ sub: u.id, oid: u.orgId, sv: u.sessionVersion });
  return `${sessionCookieName()}=${value}`;
}
