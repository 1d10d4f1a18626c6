import type { Scope } from "../core/scope";
import type { AuditActor } from "../audit/record-audit";

export const auditActor = (scope: Pick<Scope, "user" | "requestId">): AuditActor => ({
  orgId: scope.user.orgId,
  actorId: scope.user.userId,
  requestId: scope.requestId,
});
