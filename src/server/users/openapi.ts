import { z } from "zod";
import type { Operation } from "../http/api-spec";
import { ZOrgSecurity, ZOrgSecurityView } from "../auth/org-security";
import {
  ZConfirmTwoFactor, ZDisableTwoFactor, ZRecoveryCodes, ZRegenerateRecoveryCodes, ZTwoFactorSetup, ZTwoFactorStatus,
} from "../auth/two-factor";
import { page } from "../tickets/schemas";
import { ZCreatedUser, ZCreateUser } from "./create-user";
import { ZListUsers } from "./list-users";
import { ZPasswordResetResult } from "./reset-password";
import { ZUpdateUser } from "./update-user";
import { ZUser, ZUserDetail } from "./user-view";

/** OpenAPI entries for the users routes (merged into the document by src/server/http/api-spec.ts). */
export const USER_OPERATIONS: Operation[] = [
  { method: "GET", path: "/api/v1/users", summary: "Users of your org: admins list everyone; agents list agents and admins (SPEC §6), and asking for role=customer is 403", tag: "users", auth: "staff", query: ZListUsers, status: 200, response: page(ZUser) },
  { method: "POST", path: "/api/v1/users", summary: "Create a user: with a password (active at once) or without (an invitation link, 24 h, is emailed — or returned as inviteUrl when no mail server is configured; 503 feature_disabled while signup_tokens is off)", tag: "users", auth: "admin", body: ZCreateUser, status: 201, response: ZCreatedUser },
  { method: "GET", path: "/api/v1/users/{id}", summary: "One user with their account-security state", tag: "users", auth: "admin", pathId: true, status: 200, response: ZUserDetail },
  { method: "PATCH", path: "/api/v1/users/{id}", summary: "Change name or role, block or unblock (the org's last active admin cannot be demoted or blocked: 409)", tag: "users", auth: "admin", pathId: true, body: ZUpdateUser, status: 200, response: ZUser },
  { method: "POST", path: "/api/v1/users/{id}/revoke-sessions", summary: "End every session and API token of the user at once", tag: "users", auth: "admin", pathId: true, status: 204, response: null },
  { method: "POST", path: "/api/v1/users/{id}/reset-password", summary: "Sign the user out, force a password change and send a one-time reset link (24 h; returned as resetUrl when no mail server is configured)", tag: "users", auth: "admin", pathId: true, status: 200, response: ZPasswordResetResult },
  { method: "DELETE", path: "/api/v1/users/{id}/2fa", summary: "Turn off another user's two-factor sign-in (lost authenticator and recovery codes)", tag: "users", auth: "admin", pathId: true, status: 204, response: null },
  { method: "GET", path: "/api/v1/me/2fa", summary: "Your two-factor sign-in state", tag: "me", auth: "any", status: 200, response: ZTwoFactorStatus },
  { method: "POST", path: "/api/v1/me/2fa/setup", summary: "Start two-factor setup: a new TOTP secret and otpauth:// URL (pending until confirmed)", tag: "me", auth: "any", status: 200, response: ZTwoFactorSetup },
  { method: "POST", path: "/api/v1/me/2fa/confirm", summary: "Confirm the authenticator with a code: two-factor goes on and 10 one-time recovery codes are returned once", tag: "me", auth: "any", body: ZConfirmTwoFactor, status: 200, response: ZRecoveryCodes.extend({ enabled: z.literal(true) }) },
  { method: "DELETE", path: "/api/v1/me/2fa", summary: "Turn off two-factor sign-in (password and a TOTP or recovery code)", tag: "me", auth: "any", body: ZDisableTwoFactor, status: 204, response: null },
  { method: "POST", path: "/api/v1/me/2fa/recovery-codes", summary: "Replace your recovery codes (a code from the authenticator is required); returned once", tag: "me", auth: "any", body: ZRegenerateRecoveryCodes, status: 200, response: ZRecoveryCodes },
  { method: "GET", path: "/api/v1/org/security", summary: "The org's sign-in security settings", tag: "org", auth: "admin", status: 200, response: ZOrgSecurityView },
  { method: "PUT", path: "/api/v1/org/security", summary: "Require two-factor sign-in for agents and admins (you need it on your own account first); set the maximum API-token lifetime (tokenMaxDays, 1–366) and whether tokens without an expiry are allowed. Only the keys sent change; audited", tag: "org", auth: "admin", body: ZOrgSecurity, status: 200, response: ZOrgSecurityView },
  { method: "DELETE", path: "/api/v1/tokens/{id}", summary: "Revoke any API token of the org by its id (the id a token string carries: bcn_<org>_<id>_…); audited as token.revoked", tag: "org", auth: "admin", pathId: true, status: 204, response: null },
];
