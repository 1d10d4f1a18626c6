import "server-only";
import { zUuidParam } from "../../http/route";
import {
  createPolicy,
  deletePolicy,
  getVersionedPolicy,
  listPolicies,
  updateVersionedPolicy,
} from "../../sla-policies/manage-policies";
import { ZCreatePolicy, ZPolicy, ZUpdatePolicy } from "../../sla-policies/schemas";
import { ifMatchVersions, withEtag } from "../if-match";
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
    idempotent: true,
    summary: "Create a priority's SLA policy (open tickets re-applied in a job)",
    tag: "sla",
    can: "org.admin",
    body: ZCreatePolicy,
    status: 201,
    response: ZPolicy,
    handler: (scope, { body }) => createPolicy(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/sla-policies/{id}",
    operationId: "getSlaPolicy",
    summary: "One SLA policy with its calendar",
    tag: "sla",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZPolicy,
    responseHeaders: {
      ETag: 'The policy\'s version ("7"), bumped by every change to it or its calendar: send it as If-Match with a PATCH',
    },
    handler: async (scope, { params }) => {
      const { policy, version } = await getVersionedPolicy(scope, params.id);
      return withEtag(policy, version);
    },
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
    requestHeaders: {
      "If-Match":
        "The ETag of the version your change is based on: if the policy has changed since, nothing changes and the answer is " +
        "412 precondition_failed with the current version in details. Without it (or with *) the change applies whatever the version",
    },
    status: 200,
    response: ZPolicy,
    responseHeaders: { ETag: "The policy's version after the change" },
    handler: async (scope, { params, body, headers }) => {
      const { policy, version } = await updateVersionedPolicy(scope, params.id, body, ifMatchVersions(headers));
      return withEtag(policy, version);
    },
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
