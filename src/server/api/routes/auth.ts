import "server-only";
import { z } from "zod";
import { grantToken, ZGrantToken } from "../../auth/grant-token";
import { completeSetup, ZCompleteSetup } from "../../auth/setup-link";
import { defineOperation } from "../operation";

// What a caller does before anyone is signed in: exchange a password for a token, or set a
// password through a one-time link. Both throttle and audit themselves (by IP and request id).

export const AUTH_OPERATIONS = [
  defineOperation({
    method: "POST",
    path: "/api/v1/auth/token",
    operationId: "grantToken",
    summary: "Exchange email and password for a bearer token (30 days)",
    tag: "auth",
    can: "public",
    body: ZGrantToken,
    // A wrong email, password or one-time code; several orgs for the email and no org named.
    errors: ["unauthenticated"],
    status: 201,
    response: z.object({ token: z.string(), expiresAt: z.iso.datetime() }),
    handler: (call, { body }) => grantToken(call, body),
  }),
  defineOperation({
    method: "POST",
    path: "/api/v1/auth/setup",
    operationId: "completeSetup",
    summary: "Set a password with a one-time setup or invitation link",
    tag: "auth",
    can: "public",
    body: ZCompleteSetup,
    // A link that is unknown, used or expired.
    errors: ["not_found"],
    status: 200,
    response: z.object({ email: z.string(), org: z.string() }),
    handler: (call, { body }) => completeSetup(body, call.requestId),
  }),
];
