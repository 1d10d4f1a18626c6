import "server-only";
import type { Ctx } from "../http/route";

export function getMe(ctx: Ctx) {
  const u = ctx.user;
  return { id: u.userId, email: u.email, name: u.name, role: u.role, orgId: u.orgId, mustChangePassword: u.mustChangePassword };
}
