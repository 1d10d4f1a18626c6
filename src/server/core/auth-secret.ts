import { env } from "../env";

/**
 * The deployment's signing secret (NEXTAUTH_SECRET): sessions, cursor MACs, sealed secrets and reply
 * tokens derive their keys from it. In core so that cursors (core/cursor.ts) need not import auth.
 */
export function authSecret(): string {
  const secret = env().NEXTAUTH_SECRET;
  if (!secret) throw new Error("NEXTAUTH_SECRET is not set (npm start generates one for the embedded demo)");
  return secret;
}
