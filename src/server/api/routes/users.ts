import "server-only";
import { zUuidParam } from "../../http/route";
import { page } from "../../tickets/schemas";
import { createUser, ZCreatedUser, ZCreateUser } from "../../users/create-user";
import { getVersionedUser } from "../../users/get-user";
import { listUsers, ZListUsers } from "../../users/list-users";
import { resetPassword, ZPasswordResetResult } from "../../users/reset-password";
import { resetTwoFactor } from "../../users/reset-two-factor";
import { revokeSessions } from "../../users/revoke-sessions";
import { updateVersionedUser, ZUpdateUser } from "../../users/update-user";
import { ZUser, ZUserDetail } from "../../users/user-view";
import { ifMatchVersions, withEtag } from "../if-match";
import { defineOperation } from "../operation";

// The org's people, as its administrators manage them (agents may list staff for assignee pickers).

export const USER_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/users",
    operationId: "listUsers",
    summary:
      "Users of your org: admins list everyone; agents list agents and admins (SPEC §6), and asking for role=customer is 403",
    tag: "users",
    can: "signed-in",
    // Staff only (users.list), refused by the domain with its own rule's message, as before the table.
    domainCan: "staff",
    query: ZListUsers,
    status: 200,
    response: page(ZUser),
    handler: (scope, { query }) => listUsers(scope, query),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/users",
    operationId: "createUser",
    idempotent: true,
    summary:
      "Create a user: with a password (active at once) or without (an invitation link, 24 h, is emailed — or returned as inviteUrl " +
      "when no mail server is configured; 503 feature_disabled while signup_tokens is off)",
    tag: "users",
    can: "org.admin",
    body: ZCreateUser,
    status: 201,
    response: ZCreatedUser,
    handler: (scope, { body }) => createUser(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/users/{id}",
    operationId: "getUser",
    summary: "One user with their account-security state",
    tag: "users",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZUserDetail,
    responseHeaders: {
      ETag: 'The user\'s version ("7"), bumped by every change to what this shows but sign-in times: send it as If-Match with a PATCH',
    },
    handler: async (scope, { params }) => {
      const { user, version } = await getVersionedUser(scope, params.id);
      return withEtag(user, version);
    },
  }),
  defineOperation({
    method: "PATCH",
    path: "/api/v1/users/{id}",
    operationId: "updateUser",
    summary: "Change name or role, block or unblock (the org's last active admin cannot be demoted or blocked: 409)",
    tag: "users",
    can: "org.admin",
    params: zUuidParam,
    body: ZUpdateUser,
    requestHeaders: {
      "If-Match":
        "The ETag of the version your change is based on: if the user has changed since, nothing changes and the answer is " +
        "412 precondition_failed with the current version in details. Without it (or with *) the change applies whatever the version",
    },
    status: 200,
    response: ZUser,
    responseHeaders: { ETag: "The user's version after the change" },
    handler: async (scope, { params, body, headers }) => {
      const { user, version } = await updateVersionedUser(scope, params.id, body, ifMatchVersions(headers));
      return withEtag(user, version);
    },
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/users/{id}/revoke-sessions",
    operationId: "revokeUserSessions",
    summary: "End every session and API token of the user at once",
    tag: "users",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => revokeSessions(scope, params.id),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/users/{id}/reset-password",
    operationId: "resetUserPassword",
    summary:
      "Sign the user out, force a password change and send a one-time reset link (24 h; returned as resetUrl when no mail server is configured)",
    tag: "users",
    can: "org.admin",
    params: zUuidParam,
    status: 200,
    response: ZPasswordResetResult,
    handler: (scope, { params }) => resetPassword(scope, params.id),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/users/{id}/2fa",
    operationId: "resetUserTwoFactor",
    summary: "Turn off another user's two-factor sign-in (lost authenticator and recovery codes)",
    tag: "users",
    can: "org.admin",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => resetTwoFactor(scope, params.id),
  }),
];
