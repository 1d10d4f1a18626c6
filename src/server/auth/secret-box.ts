import "server-only";
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { previousAuthSecrets } from "../core/auth-secret";
import { authSecret } from "./session-cookie";

// Secrets the server must read back (TOTP secrets) are stored encrypted with AES-256-GCM under a
// key derived from NEXTAUTH_SECRET, so a database dump or backup alone does not give away anyone's
// second factor. Format: v1.<iv>.<ciphertext>.<tag>, base64url. See docs/decisions/012.

const PREFIX = "v1";

function key(purpose: string, secret = authSecret()): Buffer {
  return Buffer.from(hkdfSync("sha256", secret, "beacon-secret-box", `beacon:${purpose}:v1`, 32));
}

export function seal(plaintext: string, purpose: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(purpose), iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [PREFIX, iv.toString("base64url"), ct.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(
    ".",
  );
}

/**
 * The plaintext, or null when the box was sealed under an unknown key or tampered with. A box sealed
 * under a previous secret (NEXTAUTH_SECRET_PREVIOUS) still opens, so rotating the secret does not
 * lock anyone out of their second factor or stop a mailbox; `reseal` moves it to the current one.
 */
export function open(sealed: string, purpose: string): string | null {
  return openWith(sealed, purpose)?.plaintext ?? null;
}

/** Which key opens a box: the current secret, a previous one (NEXTAUTH_SECRET_PREVIOUS), or none. */
export function sealedUnder(sealed: string, purpose: string): "current" | "previous" | "unreadable" {
  return resealed(sealed, purpose).under;
}

/** Which key opens a box and, when it is a previous one, the box sealed again under the current secret. */
export function resealed(
  sealed: string,
  purpose: string,
): { under: "current" | "unreadable" } | { under: "previous"; fresh: string } {
  const opened = openWith(sealed, purpose);
  if (!opened) return { under: "unreadable" };
  return opened.current ? { under: "current" } : { under: "previous", fresh: seal(opened.plaintext, purpose) };
}

function openWith(sealed: string, purpose: string): { plaintext: string; current: boolean } | null {
  const [v, iv, ct, tag] = sealed.split(".");
  if (v !== PREFIX || !iv || !ct || !tag) return null;
  const secrets = [authSecret(), ...previousAuthSecrets()];
  for (const [i, secret] of secrets.entries()) {
    try {
      const decipher = createDecipheriv("aes-256-gcm", key(purpose, secret), Buffer.from(iv, "base64url"));
      decipher.setAuthTag(Buffer.from(tag, "base64url"));
      const plaintext = Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString(
        "utf8",
      );
      return { plaintext, current: i === 0 };
    } catch {
      // Not this secret (or tampered with): try the next one.
    }
  }
  return null;
}
