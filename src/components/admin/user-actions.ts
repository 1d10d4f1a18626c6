import type { components } from "@/lib/api-types";
import { ROLE_LABELS } from "@/lib/ticket-labels";
import { api, type ApiResult } from "../api-client";

// What an admin can do to one user, as a table: each action's confirmation, what it explains
// before, the request it makes and what it says after. Role and block changes name the version the
// page loaded (If-Match, decision 043).

// The API's own types, generated from its OpenAPI document (src/lib/api-types.ts), not hand copies.
export type Role = components["schemas"]["UserDetail"]["role"];
export type AdminUserRow = components["schemas"]["UserDetail"];
export type UserAction = "block" | "unblock" | "revoke" | "reset" | "role" | "2fa";

/** The row an action runs on: the user as loaded, the version it was loaded at, and the role picked in the row. */
export type ActionTarget = { user: AdminUserRow; version: number; role: Role; who: string };

export type ResetAnswer = { purpose: string; resetUrl: string | null; expiresAt: string };

type ActionSpec = {
  title: string;
  label: string;
  danger: boolean;
  explain: (t: ActionTarget) => string;
  request: (t: ActionTarget) => Promise<ApiResult<unknown>>;
  /** What the status line says once done ("reset" says it from its answer: emailed, or a link shown). */
  done: (t: ActionTarget) => string;
};

const patch = (t: ActionTarget, body: object) =>
  api("PATCH", `/api/v1/users/${t.user.id}`, body, { ifMatch: `"${t.version}"` });

export const USER_ACTIONS: Record<UserAction, ActionSpec> = {
  block: {
    title: "Block this user?",
    label: "Block",
    danger: true,
    explain: ({ who }) =>
      `${who} is signed out at once and cannot sign in or use API tokens until unblocked. Their tickets stay.`,
    request: (t) => patch(t, { blocked: true }),
    done: ({ who }) => `${who} is blocked.`,
  },
  unblock: {
    title: "Unblock this user?",
    label: "Unblock",
    danger: false,
    explain: ({ who }) => `${who} can sign in again with their existing password.`,
    request: (t) => patch(t, { blocked: false }),
    done: ({ who }) => `${who} is unblocked.`,
  },
  revoke: {
    title: "Sign this user out everywhere?",
    label: "Revoke sessions",
    danger: true,
    explain: ({ who }) =>
      `Every session and API token of ${who} stops working on its next request. They can sign in again.`,
    request: (t) => api("POST", `/api/v1/users/${t.user.id}/revoke-sessions`),
    done: ({ who }) => `${who} was signed out everywhere.`,
  },
  reset: {
    title: "Reset this user's password?",
    label: "Reset password",
    danger: true,
    explain: ({ who, user }) =>
      user.invited
        ? `${who} has not accepted their invitation yet: a new invitation link replaces the old one.`
        : `${who} is signed out everywhere and their current password stops working. They choose a new one with a one-time link (valid 24 hours).`,
    request: (t) => api<ResetAnswer>("POST", `/api/v1/users/${t.user.id}/reset-password`),
    done: () => "",
  },
  role: {
    title: "Change this user's role?",
    label: "Change role",
    danger: false,
    explain: ({ who, user, role }) =>
      `${who} becomes ${ROLE_LABELS[role]}.${user.role === "admin" ? " They lose access to administration." : ""}${role === "customer" ? " Customers only see their own tickets." : ""}`,
    request: (t) => patch(t, { role: t.role }),
    done: ({ who, role }) => `${who} is now ${ROLE_LABELS[role]}.`,
  },
  "2fa": {
    title: "Turn off two-factor sign-in?",
    label: "Turn off two-factor",
    danger: true,
    explain: ({ who }) =>
      `${who} signs in with their password alone until they set up an authenticator again. Use this when they lost their authenticator and recovery codes.`,
    request: (t) => api("DELETE", `/api/v1/users/${t.user.id}/2fa`),
    done: ({ who }) => `Two-factor sign-in is off for ${who}.`,
  },
};
