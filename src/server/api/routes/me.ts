import "server-only";
import { z } from "zod";
import { ROLES } from "../../db/schema/enums";
import { changePassword, ZChangePassword } from "../../auth/change-password";
import { createToken, listTokens, revokeToken, ZCreateToken } from "../../auth/manage-tokens";
import {
  confirmTwoFactor,
  disableTwoFactor,
  regenerateRecoveryCodes,
  setupTwoFactor,
  twoFactorStatus,
  ZConfirmTwoFactor,
  ZDisableTwoFactor,
  ZRecoveryCodes,
  ZRegenerateRecoveryCodes,
  ZTwoFactorSetup,
  ZTwoFactorStatus,
} from "../../auth/two-factor";
import { zUuidParam } from "../../http/route";
import { page, ZListPage } from "../../tickets/schemas";
import { getMe } from "../../users/get-me";
import { defineOperation } from "../operation";

// The signed-in caller's own account: who they are, their password, API tokens and two-factor
// sign-in. A user who must first change their password may still read /me and change it; one who
// must first set up two-factor sign-in may still read /me and use /me/2fa (src/server/auth/principal.ts).

export const ZMe = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  orgId: z.uuid(),
  mustChangePassword: z.boolean(),
});
export const ZTokenItem = z.object({
  id: z.uuid(),
  prefix: z.string(),
  name: z.string(),
  createdAt: z.iso.datetime(),
  lastUsedAt: z.iso.datetime().nullable(),
  expiresAt: z.iso.datetime().nullable(),
});
export const ZCreatedToken = z.object({
  id: z.uuid(),
  token: z.string(),
  name: z.string(),
  expiresAt: z.iso.datetime().nullable(),
});

export const ME_OPERATIONS = [
  defineOperation({
    method: "GET",
    path: "/api/v1/me",
    operationId: "getMe",
    summary: "The signed-in user",
    tag: "me",
    can: "signed-in",
    status: 200,
    response: ZMe,
    allowPendingPasswordChange: true,
    allowPendingTwoFactorSetup: true,
    handler: async (scope) => getMe(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/me/password",
    operationId: "changeMyPassword",
    summary: "Change your password (ends every session and token)",
    tag: "me",
    can: "signed-in",
    body: ZChangePassword,
    status: 200,
    response: z.object({ ok: z.literal(true) }),
    allowPendingPasswordChange: true,
    handler: (scope, { body }) => changePassword(scope, body),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/me/tokens",
    operationId: "listMyTokens",
    summary: "Your live API tokens, newest first",
    tag: "me",
    can: "signed-in",
    query: ZListPage,
    status: 200,
    response: page(ZTokenItem),
    handler: (scope, { query }) => listTokens(scope, query),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/me/tokens",
    operationId: "createMyToken",
    idempotent: true,
    summary: "Create an API token (shown once)",
    tag: "me",
    can: "signed-in",
    body: ZCreateToken,
    status: 201,
    response: ZCreatedToken,
    handler: (scope, { body }) => createToken(scope, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/me/tokens/{id}",
    operationId: "revokeMyToken",
    summary: "Revoke one of your API tokens",
    tag: "me",
    can: "signed-in",
    params: zUuidParam,
    status: 204,
    response: null,
    handler: (scope, { params }) => revokeToken(scope, params.id),
  }),
  defineOperation({
    method: "GET",
    path: "/api/v1/me/2fa",
    operationId: "getMyTwoFactor",
    summary: "Your two-factor sign-in state",
    tag: "me",
    can: "signed-in",
    status: 200,
    response: ZTwoFactorStatus,
    allowPendingTwoFactorSetup: true,
    handler: (scope) => twoFactorStatus(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/me/2fa/setup",
    operationId: "startMyTwoFactorSetup",
    summary: "Start two-factor setup: a new TOTP secret and otpauth:// URL (pending until confirmed)",
    tag: "me",
    can: "signed-in",
    status: 200,
    response: ZTwoFactorSetup,
    allowPendingTwoFactorSetup: true,
    handler: (scope) => setupTwoFactor(scope),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/me/2fa/confirm",
    operationId: "confirmMyTwoFactor",
    summary:
      "Confirm the authenticator with a code: two-factor goes on and 10 one-time recovery codes are returned once",
    tag: "me",
    can: "signed-in",
    body: ZConfirmTwoFactor,
    status: 200,
    response: ZRecoveryCodes.extend({ enabled: z.literal(true) }),
    allowPendingTwoFactorSetup: true,
    // A Response (with the re-issued session cookie) when a browser session turned it on.
    handler: (scope, { body }) => confirmTwoFactor(scope, body),
  }),
  defineOperation({
    method: "DELETE",
    path: "/api/v1/me/2fa",
    operationId: "disableMyTwoFactor",
    summary: "Turn off two-factor sign-in (password and a TOTP or recovery code)",
    tag: "me",
    can: "signed-in",
    body: ZDisableTwoFactor,
    status: 204,
    response: null,
    allowPendingTwoFactorSetup: true,
    handler: (scope, { body }) => disableTwoFactor(scope, body),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/me/2fa/recovery-codes",
    operationId: "regenerateMyRecoveryCodes",
    summary: "Replace your recovery codes (a code from the authenticator is required); returned once",
    tag: "me",
    can: "signed-in",
    body: ZRegenerateRecoveryCodes,
    status: 200,
    response: ZRecoveryCodes,
    allowPendingTwoFactorSetup: true,
    handler: (scope, { body }) => regenerateRecoveryCodes(scope, body),
  }),
];
