import "server-only";
import { z } from "zod";
import { listAudit, ZAuditEvent, ZListAudit } from "../../audit/list-audit";
import { verifyChain } from "../../audit/verify-chain";
import { page } from "../../tickets/schemas";
import { defineOperation } from "../operation";

const ZVerify = z.object({
  valid: z.boolean(),
  checked: z.number().int(),
  firstBrokenSeq: z.number().int().nullable(),
});

export const AUDIT_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/audit",
    operationId: "listAuditEvents",
    summary: "The org's audit chain, newest first (filters: action, entityType, entityId, actorId)",
    tag: "audit",
    can: "org.admin",
    query: ZListAudit,
    status: 200,
    response: page(ZAuditEvent),
    handler: (scope, { query }) => listAudit(scope, query),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/audit/verify",
    operationId: "verifyAuditChain",
    summary: "Verify the org's audit hash chain",
    tag: "audit",
    can: "org.admin",
    status: 200,
    response: ZVerify,
    handler: (scope) => verifyChain(scope.tx, scope.user.orgId),
  }),
];
