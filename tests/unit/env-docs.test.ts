import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ZEnv } from "../../src/server/env";

// Every variable src/server/env.ts reads is documented in .env.example and in README's
// configuration table (issue 21: .env.example had fallen ten variables behind).

const root = path.resolve(import.meta.dirname, "../..");
const keys = Object.keys(ZEnv.shape);
const example = readFileSync(path.join(root, ".env.example"), "utf8");
const readme = readFileSync(path.join(root, "README.md"), "utf8");

describe("environment documentation", () => {
  it("reads the keys of the env schema", () => {
    expect(keys).toEqual(expect.arrayContaining(["DATABASE_URL", "S3_BUCKET", "RATE_LIMIT_METRICS_PER_MIN"]));
  });

  it(".env.example lists every variable (as KEY= or # KEY=)", () => {
    const listed = new Set([...example.matchAll(/^#? ?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]));
    expect(keys.filter((k) => !listed.has(k))).toEqual([]);
    expect([...listed].filter((k) => !keys.includes(k!))).toEqual([]);
  });

  it("README's configuration table has a row for every variable", () => {
    const rows = new Set([...readme.matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1]));
    expect(keys.filter((k) => !rows.has(k))).toEqual([]);
  });
});
