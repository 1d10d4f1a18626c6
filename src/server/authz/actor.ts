import type { Scope } from "../core/scope";

/**
 * Who an audit event is by: the scope's user in its org, with the request id. Structurally the
 * audit log's AuditActor (src/server/audit/record-audit.ts), written out so authz does not import
 * audit (audit's own reads are authorized here).
 */
export const auditActor = (
  scope: Pick<Scope, "user" | "requestId">,
): { orgId: string; actorId: string; requestId: string } => ({
  orgId: scope.user.orgId,
  actorId: scope.user.userId,
  requestId: scope.requestId,
});
