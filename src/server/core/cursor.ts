import "server-only";
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import { authSecret } from "./auth-secret";
import { AppError } from "./errors";

// Opaque keyset cursors: base64url(JSON) + a truncated HMAC, so a tampered or hand-made cursor is
// a 400 instead of a query on attacker-chosen values. The MAC also covers the list the cursor was
// made for: a genuine cursor of one list replayed on another (a priority name where a timestamp is
// expected, say) is refused as invalid instead of reaching the query. And a cursor is bound to the
// filters and sort of the request that made it (and the resource whose list it pages): reused with
// other ones it would silently return other rows, so it is a 400 invalid_cursor too.

/** Every list that pages with a cursor; a cursor is valid only on the list that issued it. */
export type CursorList =
  | "tickets"
  | "tickets-incremental"
  | "comments"
  | "users"
  | "notifications"
  | "webhooks"
  | "webhook-deliveries"
  | "tokens"
  | "ticket-events"
  | "attachments"
  | "audit"
  | "export-full";

function mac(list: CursorList, payload: string): Buffer {
  return createHmac("sha256", `cursor:${authSecret()}`).update(`${list}\n${payload}`).digest().subarray(0, 16);
}

/**
 * What a cursor is bound to: the request's filters and sort (its query without `limit` and
 * `cursor`: a client may change the page size between pages) and the path ids of the list, as a
 * short digest of their canonical JSON.
 */
export type CursorBinding = Record<string, unknown>;

function digest(binding: CursorBinding): string {
  const canonical = Object.keys(binding)
    .filter((k) => k !== "limit" && k !== "cursor" && binding[k] !== undefined)
    .sort()
    .map((k) => [k, binding[k]]);
  return createHash("sha256").update(JSON.stringify(canonical)).digest("base64url").slice(0, 11);
}

type Envelope = { p: unknown; f: string };

export function encodeCursor(list: CursorList, value: unknown, binding: CursorBinding = {}): string {
  const envelope: Envelope = { p: value, f: digest(binding) };
  const payload = Buffer.from(JSON.stringify(envelope)).toString("base64url");
  return `${payload}.${mac(list, payload).toString("base64url")}`;
}

const invalid = (message: string) =>
  new AppError("invalid_cursor", `cursor ${message}`, { issues: [{ in: "query", path: "cursor", message }] });

export function decodeCursor<T>(
  list: CursorList,
  cursor: string,
  validate: (v: unknown) => v is T,
  binding: CursorBinding = {},
): T {
  const bad = () => invalid("is invalid or tampered");
  const [payload, sig, extra] = cursor.split(".");
  if (!payload || !sig || extra !== undefined || cursor.length > 2048) throw bad();
  const given = Buffer.from(sig, "base64url");
  const want = mac(list, payload);
  if (given.length !== want.length || !timingSafeEqual(given, want)) throw bad();
  let envelope: Partial<Envelope> | null;
  try {
    envelope = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Partial<Envelope> | null;
  } catch {
    throw bad();
  }
  if (typeof envelope !== "object" || envelope === null || typeof envelope.f !== "string" || !validate(envelope.p))
    throw bad();
  if (envelope.f !== digest(binding)) {
    throw invalid(
      "was made for other filters or another sort: start again without it, or send the filters it was made with",
    );
  }
  return envelope.p;
}

/** The usual keyset position: the sort value as PostgreSQL printed it, and the row id. */
export type KeyCursor = { v: string; id: string };
export const isKeyCursor = (v: unknown): v is KeyCursor =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as KeyCursor).v === "string" &&
  typeof (v as KeyCursor).id === "string";

/** Rows fetched with `limit + 1`: the page itself and the opaque cursor after its last row (or null at the end). */
export function keysetPage<R>(
  list: CursorList,
  rows: R[],
  limit: number,
  cursorOf: (last: R) => unknown,
  binding: CursorBinding = {},
): { rows: R[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const page = more ? rows.slice(0, limit) : rows;
  const last = page[page.length - 1];
  return { rows: page, nextCursor: more && last !== undefined ? encodeCursor(list, cursorOf(last), binding) : null };
}
