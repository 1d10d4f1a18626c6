import { describe, expect, it } from "vitest";
import { isFiltered, listHref, readListState } from "@/lib/list-params";

// The list page's URL state (issue 14 item 2): a saved view is opened by id, and the group and
// cf.<key> filters the views save travel in the URL like the others.

const views = [{ key: "mine" }, { key: "0b6f1c1e-8e4a-4c8e-9a43-3c1f0e5a9d21" }];

describe("readListState", () => {
  it("opens a saved view by id and falls back to the default for an unknown or hidden one", () => {
    expect(readListState({ view: views[1]!.key }, views, "mine").view).toBe(views[1]!.key);
    expect(readListState({ view: "unassigned" }, views, "mine").view).toBe("mine");
  });

  it("reads group and cf.<key> filters, dropping empty ones and names that are not field keys", () => {
    const s = readListState(
      { view: "mine", group: "none", "cf.plan": "pro", "cf.empty": "", "cf.Bad-Key": "x", other: "y" },
      views,
      "mine",
    );
    expect(s.group).toBe("none");
    expect(s.cf).toEqual({ plan: "pro" });
    expect(isFiltered(s)).toBe(true);
    expect(isFiltered(readListState({ view: "mine", sort: "createdAt" }, views, "mine"))).toBe(false);
  });
});

describe("listHref", () => {
  it("keeps group and custom field filters and starts a changed list on its first page", () => {
    const s = readListState({ view: "mine", group: "none", "cf.plan": "pro", cursor: "abc" }, views, "mine");
    expect(listHref(s, { tag: "vip" })).toBe("/?view=mine&tag=vip&group=none&cf.plan=pro");
    expect(listHref(s, { cursor: "next" })).toBe("/?view=mine&group=none&cursor=next&cf.plan=pro");
  });
});
