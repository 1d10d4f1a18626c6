import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

// README's documentation list names every decision record, so none is written and then lost
// (README once said decisions 010 and 011 did not exist while both files did).

const root = path.resolve(import.meta.dirname, "../..");

describe("README's list of decisions", () => {
  it("links every file in docs/decisions/, and only files that exist", () => {
    const files = readdirSync(path.join(root, "docs/decisions"))
      .filter((f) => /^\d{3}-.*\.md$/.test(f))
      .sort();
    const readme = readFileSync(path.join(root, "README.md"), "utf8");
    const listed = [...readme.matchAll(/^ {2}- \[\d{3} [^\]]*\]\(docs\/decisions\/(\d{3}-[^)]+\.md)\)/gm)]
      .map((m) => m[1])
      .sort();
    expect(files.length).toBeGreaterThan(20);
    expect(listed).toEqual(files);
  });
});
