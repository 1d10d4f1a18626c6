import "server-only";
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import { authSecret } from "./session-cookie";

// Secrets the server must read back (TOTP secrets) are stored encrypted with AES-256-GCM under a
// key derived from NEXTAUTH_SECRET, so a database dump or backup alone does not give away anyone's
// second factor. Format: v1.<iv>.<ciphertext>.<tag>, base64url. See docs/decisions/012.

const PREFIX = "v1";

function key(purpose: string): Buffer {
  return Buffer.from(hkdfSync("sha256", authSecret(), "beacon-secret-box", `beacon:${purpose}:v1`, 32));
}

export function seal(plaintext: string, purpose: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(purpose), iv);
  const ct = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final()]);
  return [PREFIX, iv.toString("base64url"), ct.toString("base64url"), cipher.getAuthTag().toString("base64url")].join(".");
}

/** The plaintext, or null when the box was sealed under another key or tampered with. */
export function open(sealed: string, purpose: string): string | null {
  const [v, iv, ct, tag] = sealed.split(".");
  if (v !== PREFIX || !iv || !ct || !tag) return null;
  try {
    const decipher = createDecipheriv("aes-256-gcm", key(purpose), Buffer.from(iv, "base64url"));
    decipher.setAuthTag(Buffer.from(tag, "base64url"));
    return Buffer.concat([decipher.update(Buffer.from(ct, "base64url")), decipher.final()]).toString("utf8");
  } catch {
    return null;
  }
}
