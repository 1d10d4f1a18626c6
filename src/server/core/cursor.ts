import "server-only";
import { createHmac, timingSafeEqual } from "node:crypto";
import { authSecret } from "./auth-secret";
import { AppError } from "./errors";

// Opaque keyset cursors: base64url(JSON) + a truncated HMAC, so a tampered or hand-made cursor is
// a 400 instead of a query on attacker-chosen values. The MAC also covers the list the cursor was
// made for: a genuine cursor of one list replayed on another (a priority name where a timestamp is
// expected, say) is refused as invalid instead of reaching the query.

/** Every list that pages with a cursor; a cursor is valid only on the list that issued it. */
export type CursorList =
  | "tickets"
  | "tickets-incremental"
  | "comments"
  | "users"
  | "notifications"
  | "webhook-deliveries"
  | "attachments"
  | "audit";

function mac(list: CursorList, payload: string): Buffer {
  return createHmac("sha256", `cursor:${authSecret()}`).update(`${list}\n${payload}`).digest().subarray(0, 16);
}

export function encodeCursor(list: CursorList, value: unknown): string {
  const payload = Buffer.from(JSON.stringify(value)).toString("base64url");
  return `${payload}.${mac(list, payload).toString("base64url")}`;
}

export function decodeCursor<T>(list: CursorList, cursor: string, validate: (v: unknown) => v is T): T {
  const bad = () => new AppError("validation_failed", "cursor is invalid", { issues: [{ in: "query", path: "cursor", message: "is invalid or tampered" }] });
  const [payload, sig, extra] = cursor.split(".");
  if (!payload || !sig || extra !== undefined || cursor.length > 2048) throw bad();
  const given = Buffer.from(sig, "base64url");
  const want = mac(list, payload);
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

/** The usual keyset position: the sort value as PostgreSQL printed it, and the row id. */
export type KeyCursor = { v: string; id: string };
export const isKeyCursor = (v: unknown): v is KeyCursor =>
  typeof v === "object" && v !== null && typeof (v as KeyCursor).v === "string" && typeof (v as KeyCursor).id === "string";

/** Rows fetched with `limit + 1`: the page itself and the opaque cursor after its last row (or null at the end). */
export function keysetPage<R>(list: CursorList, rows: R[], limit: number, cursorOf: (last: R) => unknown): { rows: R[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { rows: page, nextCursor: more && last !== undefined ? encodeCursor(list, cursorOf(last)) : null };
}
