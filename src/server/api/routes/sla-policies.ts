import "server-only";
import { zUuidParam } from "../../http/route";
import { createPolicy, deletePolicy, listPolicies, updatePolicy } from "../../sla-policies/manage-policies";
import { ZCreatePolicy, ZPolicy, ZUpdatePolicy } from "../../sla-policies/schemas";
import { wholeList, zWholeList } from "../../core/list-page";
import { defineOperation } from "../operation";

export const SLA_POLICY_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/sla-policies",
    operationId: "listSlaPolicies",
    summary: "SLA policies of the org, one per priority, with calendars",
    tag: "sla",
    can: "org.admin",
    status: 200,
    response: zWholeList(ZPolicy),
    handler: (scope) => wholeList(listPolicies(scope)),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/sla-policies",
    operationId: "createSlaPolicy",
    summary: "Create a priority's SLA policy (open tickets re-applied in a job)",
    tag: "sla",
    can: "org.admin",
    body: ZCreatePolicy,
    status: 201,
    response: ZPolicy,
    handler: (scope, { body }) => createPolicy(scope, body),
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/sla-policies/{id}",
    operationId: "updateSlaPolicy",
    summary: "Change a policy or its calendar (open tickets re-applied in a job)",
    tag: "sla",
    can: "org.admin",
    params: zUuidParam,
    body: ZUpdatePolicy,
    status: 200,
    response: ZPolicy,
    handler: (scope, { params, body }) => updatePolicy(scope, params.id, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/sla-policies/{id}",
    operationId: "deleteSlaPolicy",
    summary: "Remove a policy (its tickets lose unmet targets)",
    tag: "sla",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => deletePolicy(scope, params.id),
  }),
];
