import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { authSecret } from "../auth/session-cookie";
import { AppError } from "./errors";

// Opaque keyset cursors: base64url(JSON) + a truncated HMAC, so a tampered or hand-made cursor is
// a 400 instead of a query on attacker-chosen values.

function mac(payload: string): Buffer {
  return createHmac("sha256", `cursor:${authSecret()}`).update(payload).digest().subarray(0, 16);
}

export function encodeCursor(value: unknown): string {
  const payload = Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${payload}.${mac(payload).toString("base64url")}`;
}

export function decodeCursor<T>(cursor: string, validate: (v: unknown) => v is T): T {
  const bad = () => new AppError("validation_failed", "cursor is invalid", { issues: [{ in: "query", path: "cursor", message: "is invalid or tampered" }] });
  const [payload, sig, extra] = cursor.split(".");
  if (!payload || !sig || extra !== undefined || cursor.length > 2048) throw bad();
  const given = Buffer.from(sig, "base64url");
  const want = mac(payload);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw bad();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"));
  } catch {
    throw bad();
  }
  if (!validate(value)) throw bad();
  return value;
}
