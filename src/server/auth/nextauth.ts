import "server-only";
import type { AuthOptions } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { z } from "zod";
import { AppError } from "../core/errors";
import { clientIp } from "../ratelimit/client-ip";
import { SECOND_FACTOR_REQUIRED, verifyCredentials } from "./verify-credentials";
import { encode } from "next-auth/jwt";
import {
  authSecret,
  SESSION_MAX_AGE_SEC,
  secureCookies,
  sessionTokenMaxAge,
  withinAbsoluteLifetime,
} from "./session-cookie";

export const ZSignIn = z.object({
  email: z.string().trim().min(3).max(320),
  password: z.string().min(1).max(1024),
  org: z
    .string()
    .trim()
    .max(100)
    .optional()
    .transform((v) => v || undefined),
  code: z
    .string()
    .trim()
    .max(64)
    .optional()
    .transform((v) => v || undefined),
});

/**
 * authorize() can only return a user or null, so a refusal the form must tell apart travels as the
 * message of a thrown Error, which NextAuth puts in the callback URL (`error=2fa_required`).
 */
export const SIGNIN_ERROR_2FA = SECOND_FACTOR_REQUIRED;
export const SIGNIN_ERROR_RATE_LIMITED = "rate_limited";

/**
 * NextAuth v4 with the credentials provider and JWT sessions. The JWT carries only the user id
 * (sub), org id (oid) and sessionVersion (sv); everything else is read from the database on each
 * request, which is what makes revocation and blocking immediate.
 */
export function authOptions(): AuthOptions {
  return {
    secret: authSecret(),
    session: { strategy: "jwt", maxAge: SESSION_MAX_AGE_SEC },
    jwt: {
      maxAge: SESSION_MAX_AGE_SEC,
      // Sliding never carries a JWT past the absolute lifetime stamped at sign-in.
      encode: (params) => encode({ ...params, maxAge: sessionTokenMaxAge(params.token?.at) }),
    },
    useSecureCookies: secureCookies(),
    pages: { signIn: "/login", error: "/login" },
    logger: {
      // NextAuth's own logger prints request details; keep only its codes.
      error: (code) => console.error(JSON.stringify({ level: "error", service: "beacon", msg: "next-auth", code })),
      warn: () => undefined,
      debug: () => undefined,
    },
    providers: [
      CredentialsProvider({
        name: "Email and password",
        credentials: {
          email: { label: "Email", type: "email" },
          password: { label: "Password", type: "password" },
          org: { label: "Organization", type: "text" },
          code: { label: "One-time code", type: "text" },
        },
        async authorize(credentials, req) {
          const input = ZSignIn.safeParse(credentials ?? {});
          if (!input.success) return null;
          const headers = new Headers();
          for (const [k, v] of Object.entries(req?.headers ?? {})) if (typeof v === "string") headers.set(k, v);
          try {
            const u = await verifyCredentials({ ...input.data, ip: clientIp(headers), via: "form" });
            return { id: u.userId, oid: u.orgId, sv: u.sessionVersion };
          } catch (err) {
            if (err instanceof AppError && err.code === "unauthenticated") {
              if ((err.details as { reason?: string } | undefined)?.reason === SECOND_FACTOR_REQUIRED)
                throw new Error(SIGNIN_ERROR_2FA);
              return null;
            }
            if (err instanceof AppError && err.code === "rate_limited") throw new Error(SIGNIN_ERROR_RATE_LIMITED);
            throw err;
          }
        },
      }),
    ],
    callbacks: {
      jwt({ token, user }) {
        if (user) {
          const u = user as unknown as { id: string; oid: string; sv: number };
          // `at`: the sign-in time. GET /api/auth/session re-issues the JWT (sliding the 8 h idle
          // window) but keeps `at`, and past SESSION_ABSOLUTE_MAX_SEC the session is over.
          return { sub: u.id, oid: u.oid, sv: u.sv, at: Math.floor(Date.now() / 1000) };
        }
        // Throwing makes NextAuth answer an empty session and clear the cookie.
        if (!withinAbsoluteLifetime(token.at)) throw new Error("session past its absolute lifetime");
        return token;
      },
      session({ session, token }) {
        return { ...session, user: { id: token.sub, orgId: token.oid } } as typeof session;
      },
    },
  };
}
