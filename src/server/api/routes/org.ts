import "server-only";
import { getOrgSecurity, updateOrgSecurity, ZOrgSecurity, ZOrgSecurityView } from "../../auth/org-security";
import { getSlaSettings, updateSlaSettings, ZSlaSettings } from "../../orgs/customer-sla";
import { defineOperation } from "../operation";

// The org's own settings: what customers see of SLAs, and sign-in security.

export const ORG_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/org/sla-settings",
    operationId: "getSlaSettings",
    summary: "Whether customers see SLA targets and due times on their tickets (off by default)",
    tag: "sla",
    can: "org.admin",
    status: 200,
    response: ZSlaSettings,
    handler: (scope) => getSlaSettings(scope),
  }),
  defineOperation({
    method: "PUT",
    path: "/api/v1/org/sla-settings",
    operationId: "setSlaSettings",
    summary: "Show or hide SLA targets and due times to customers (API and portal); audited",
    tag: "sla",
    can: "org.admin",
    body: ZSlaSettings,
    status: 200,
    response: ZSlaSettings,
    handler: (scope, { body }) => updateSlaSettings(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/org/security",
    operationId: "getOrgSecurity",
    summary: "The org's sign-in security settings",
    tag: "org",
    can: "org.admin",
    status: 200,
    response: ZOrgSecurityView,
    handler: (scope) => getOrgSecurity(scope),
  }),
  defineOperation({
    method: "PUT",
    path: "/api/v1/org/security",
    operationId: "setOrgSecurity",
    summary:
      "Require two-factor sign-in for agents and admins (you need it on your own account first); set the maximum API-token lifetime " +
      "(tokenMaxDays, 1–366) and whether tokens without an expiry are allowed. Only the keys sent change; audited",
    tag: "org",
    can: "org.admin",
    body: ZOrgSecurity,
    status: 200,
    response: ZOrgSecurityView,
    handler: (scope, { body }) => updateOrgSecurity(scope, body),
  }),
];
