import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../src/server/api/openapi";
import { API_TYPES_FILE, apiTypesSource } from "../../scripts/lib/api-types";

// The contract cannot drift (issue 20, docs/decisions/044-api-contract.md): the generated document
// passes redocly's recommended rules with 0 warnings, the committed client types are what the
// document generates, and a realistic client flow compiles against them with tsc.

const run = promisify(execFile);
const ROOT = path.resolve(import.meta.dirname, "../..");
const bin = (name: string) => path.join(ROOT, "node_modules/.bin", name);

describe("the OpenAPI contract", () => {
  it("passes redocly lint (recommended rules, redocly.yaml) with 0 errors and 0 warnings", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "beacon-openapi-"));
    try {
      const file = path.join(dir, "openapi.json");
      fs.writeFileSync(file, JSON.stringify(openApiDocument()));
      const { stdout } = await run(
        bin("redocly"),
        ["lint", "--config", path.join(ROOT, "redocly.yaml"), "--format", "json", file],
        {
          env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true" },
          maxBuffer: 16 * 1024 * 1024,
        },
      ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" }));
      const report = JSON.parse(stdout) as {
        totals: { errors: number; warnings: number };
        problems: { ruleId: string; message: string; location: { pointer: string }[] }[];
      };
      const problems = report.problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`);
      expect(problems).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("keeps src/lib/api-types.ts equal to what openapi-typescript generates from the document (else run npm run api:types)", async () => {
    expect(
      fs.readFileSync(API_TYPES_FILE, "utf8") === (await apiTypesSource()),
      "src/lib/api-types.ts is stale: run npm run api:types",
    ).toBe(true);
  }, 60_000);

  it("compiles the client flow (create, comment, filtered list, PATCH with If-Match) and its refusals with tsc", async () => {
    const flow = path.join(ROOT, "tests/contract/client-flow.ts");
    const args = [
      "--noEmit",
      "--strict",
      "--skipLibCheck",
      "--noUncheckedIndexedAccess",
      "--target",
      "es2022",
      "--module",
      "esnext",
      "--moduleResolution",
      "bundler",
      "--lib",
      "es2023,dom",
      flow,
    ];
    const result = await run(bin("tsc"), args, { cwd: ROOT }).then(
      () => "",
      (e: { stdout?: string }) => e.stdout ?? String(e),
    );
    expect(result).toBe("");
  }, 120_000);
});
