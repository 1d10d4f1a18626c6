import "server-only";
import type { z } from "zod";
import { first, type SearchParams } from "@/lib/list-params";
import { AppError, type ErrorCode } from "../core/errors";

// The one way a list page goes from its URL to a page of rows: the search params it knows are read
// and trimmed, the list's own zod schema (the API's) turns them into typed input, and the domain
// list runs with the page's scope. A cursor the list cannot use (tampered, made for other filters,
// cut short by hand) is a bookmark gone stale, not a fault: the page shows the first page and says
// so, instead of an error where the list should be.

/** What a stale cursor's notice says; every list page shows the same words. */
export const STALE_CURSOR_NOTICE = "That page link is no longer valid, so this is the first page.";

/** The named search params, first value of each, trimmed; empty ones are left out. */
export function readParams<K extends string>(sp: SearchParams, keys: readonly K[]): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {};
  for (const k of keys) {
    const v = (first(sp[k]) ?? "").trim();
    if (v) out[k] = v;
  }
  return out;
}

export type ParsedListQuery<T> =
  | { ok: true; query: T; cursorDropped: boolean }
  | { ok: false; issues: z.core.$ZodIssue[]; cursorDropped: boolean };

const onlyCursor = (issues: z.core.$ZodIssue[]) => issues.length > 0 && issues.every((i) => i.path[0] === "cursor");

/**
 * The URL's query through the list's schema. A cursor the schema refuses is dropped (first page)
 * rather than failing the filters with it; any other bad parameter fails, with the schema's issues.
 */
export function parseListQuery<S extends z.ZodType>(
  schema: S,
  raw: Record<string, unknown>,
): ParsedListQuery<z.output<S>> {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return { ok: true, query: parsed.data, cursorDropped: false };
  if (raw.cursor !== undefined && onlyCursor(parsed.error.issues)) {
    const { cursor: _stale, ...rest } = raw;
    const again = schema.safeParse(rest);
    if (again.success) return { ok: true, query: again.data, cursorDropped: true };
    return { ok: false, issues: again.error.issues, cursorDropped: true };
  }
  return { ok: false, issues: parsed.error.issues, cursorDropped: false };
}

export type Page<T> = { data: T[]; nextCursor: string | null };

export type LoadedPage<T> =
  /** `cursorDropped`: the URL's cursor was stale, and this is the first page instead. */
  | { ok: true; page: Page<T>; cursorDropped: boolean }
  /** The list refused the URL's filters (a code in `refuse`): the page shows `message`, no rows. */
  | { ok: false; code: ErrorCode; message: string };

/**
 * One page of a list for a page that already parsed its query: a cursor the list refuses
 * (invalid_cursor) loads the first page instead; the error codes in `refuse` (what a user's URL can
 * cause, e.g. validation_failed, or forbidden for a staff-only filter) come back as a message.
 */
export async function loadPage<Q extends { cursor?: string | undefined }, T>(
  list: (query: Q) => Promise<Page<T>>,
  query: Q,
  refuse: readonly ErrorCode[] = ["validation_failed"],
): Promise<LoadedPage<T>> {
  try {
    return { ok: true, page: await list(query), cursorDropped: false };
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    if (err.code === "invalid_cursor" && query.cursor !== undefined) {
      const firstPage = await loadPage(list, { ...query, cursor: undefined }, refuse);
      return firstPage.ok ? { ...firstPage, cursorDropped: true } : firstPage;
    }
    if (refuse.includes(err.code)) return { ok: false, code: err.code, message: err.message };
    throw err;
  }
}

export type ListPageResult<T, Q> =
  | { ok: true; query: Q; page: Page<T>; notice: string | null }
  | { ok: false; query: Q | null; issues: z.core.$ZodIssue[] | null; message: string };

/**
 * Both steps for the usual page: parse the URL's query, then load its page with the scope the
 * caller's `list` closes over. The stale-cursor notice is set when either step dropped the cursor.
 */
export async function loadListPage<S extends z.ZodType<{ cursor?: string | undefined }>, T>(
  schema: S,
  raw: Record<string, unknown>,
  list: (query: z.output<S>) => Promise<Page<T>>,
  refuse?: readonly ErrorCode[],
): Promise<ListPageResult<T, z.output<S>>> {
  const parsed = parseListQuery(schema, raw);
  if (!parsed.ok) return { ok: false, query: null, issues: parsed.issues, message: "invalid query" };
  const loaded = await loadPage(list, parsed.query, refuse);
  if (!loaded.ok) return { ok: false, query: parsed.query, issues: null, message: loaded.message };
  const stale = parsed.cursorDropped || loaded.cursorDropped;
  return { ok: true, query: parsed.query, page: loaded.page, notice: stale ? STALE_CURSOR_NOTICE : null };
}
