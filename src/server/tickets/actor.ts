import type { Ctx } from "../http/route";
import type { AuditActor } from "../audit/record-audit";

export const auditActor = (ctx: Pick<Ctx, "user" | "requestId">): AuditActor => ({
  orgId: ctx.user.orgId,
  actorId: ctx.user.userId,
  requestId: ctx.requestId,
});
