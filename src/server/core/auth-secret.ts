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

/**
 * Secrets NEXTAUTH_SECRET replaced (NEXTAUTH_SECRET_PREVIOUS, comma-separated), newest first. They
 * only ever open or verify what was made under them; nothing new is sealed or signed with them.
 */
export function previousAuthSecrets(): string[] {
  const list = env().NEXTAUTH_SECRET_PREVIOUS;
  return list
    ? list
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
}
