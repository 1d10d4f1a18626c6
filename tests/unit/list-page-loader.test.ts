import { describe, expect, it } from "vitest";
import { z } from "zod";
import { decodeCursor, encodeCursor, isKeyCursor } from "@/server/core/cursor";
import { AppError } from "@/server/core/errors";
import { zLimit } from "@/server/core/list-page";
import { loadListPage, parseListQuery, readParams, STALE_CURSOR_NOTICE } from "@/server/pages/list-page";

// The list pages' loader (issue 15 item 6): a stale or tampered cursor in a bookmarked URL shows
// the first page with a notice; bad filters are refused with the schema's issues; other errors
// are not swallowed.

const ZList = z.strictObject({
  limit: zLimit,
  cursor: z.string().min(1).max(2048).optional(),
  role: z.enum(["admin", "agent"]).optional(),
});
type Query = z.output<typeof ZList>;

const ROWS = ["a", "b", "c", "d", "e"];

/** A keyset list over ROWS whose cursor is bound to its role filter, as the domain lists' are. */
async function list(q: Query) {
  const binding = { role: q.role };
  const after = q.cursor ? decodeCursor("users", q.cursor, isKeyCursor, binding).id : "";
  const rows = ROWS.filter((r) => r > after).slice(0, q.limit + 1);
  const more = rows.length > q.limit;
  const page = rows.slice(0, q.limit);
  return { data: page, nextCursor: more ? encodeCursor("users", { v: "", id: page.at(-1)! }, binding) : null };
}

describe("readParams", () => {
  it("takes the first value of each named param, trimmed, and leaves out empty and unnamed ones", () => {
    expect(readParams({ q: [" x ", "y"], role: "  ", other: "z", cursor: "c" }, ["q", "role", "cursor"])).toEqual({
      q: "x",
      cursor: "c",
    });
  });
});

describe("parseListQuery", () => {
  it("drops a cursor the schema refuses and keeps the filters", () => {
    const r = parseListQuery(ZList, { limit: "2", role: "agent", cursor: "x".repeat(2049) });
    expect(r).toEqual({ ok: true, query: { limit: 2, role: "agent" }, cursorDropped: true });
  });

  it("refuses a bad filter with the schema's issues, whatever the cursor", () => {
    const r = parseListQuery(ZList, { limit: "2", role: "owner", cursor: "x".repeat(2049) });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.path[0])).toContain("role");
  });
});

describe("loadListPage", () => {
  it("pages with a good cursor and says nothing", async () => {
    const first = await loadListPage(ZList, { limit: "2" }, list);
    expect(first.ok && first.page.data).toEqual(["a", "b"]);
    const cursor = first.ok ? first.page.nextCursor! : "";
    const second = await loadListPage(ZList, { limit: "2", cursor }, list);
    expect(second).toMatchObject({ ok: true, page: { data: ["c", "d"] }, notice: null });
  });

  it("shows the first page with a notice for a tampered cursor or one made for other filters", async () => {
    const tampered = await loadListPage(ZList, { limit: "2", cursor: "tampered" }, list);
    expect(tampered).toMatchObject({ ok: true, page: { data: ["a", "b"] }, notice: STALE_CURSOR_NOTICE });
    expect(tampered.ok && tampered.query.cursor).toBe("tampered");

    const first = await loadListPage(ZList, { limit: "2", role: "admin" }, list);
    const cursor = first.ok ? first.page.nextCursor! : "";
    const other = await loadListPage(ZList, { limit: "2", role: "agent", cursor }, list);
    expect(other).toMatchObject({ ok: true, page: { data: ["a", "b"] }, notice: STALE_CURSOR_NOTICE });
  });

  it("returns the list's refusal of the URL as a message, and rethrows anything else", async () => {
    const refusing = async (): Promise<{ data: string[]; nextCursor: null }> => {
      throw new AppError("validation_failed", "q is too short");
    };
    expect(await loadListPage(ZList, { limit: "2" }, refusing)).toMatchObject({
      ok: false,
      issues: null,
      message: "q is too short",
    });
    const failing = async (): Promise<{ data: string[]; nextCursor: null }> => {
      throw new AppError("forbidden", "not yours");
    };
    await expect(loadListPage(ZList, { limit: "2" }, failing)).rejects.toThrow("not yours");
    await expect(loadListPage(ZList, { limit: "2" }, failing, ["forbidden"])).resolves.toMatchObject({ ok: false });
  });
});
