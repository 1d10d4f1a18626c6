import "server-only";
import type { Scope } from "../core/scope";

export function getMe(scope: Scope) {
  const u = scope.user;
  return {
    id: u.userId,
    email: u.email,
    name: u.name,
    role: u.role,
    orgId: u.orgId,
    mustChangePassword: u.mustChangePassword,
  };
}
