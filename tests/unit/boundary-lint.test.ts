import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The boundary rule in eslint.config.mjs (docs/decisions/033): the domain takes a Scope and never
// imports the transport layer. Linted through ESLint's own API with the project's config, on
// snippets placed (virtually) where the rule must and must not apply.
const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, "../..") });

async function ruleErrors(rule: string, filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === rule).map((m) => m.message);
}
const boundaryErrors = (filePath: string, code: string) => ruleErrors("no-restricted-imports", filePath, code);

describe("boundary rule: the domain does not import src/server/http or src/server/api", () => {
  it.each([
    [
      "a relative type import of the request context",
      'import type { Ctx } from "../http/route";\nexport type X = Ctx;\n',
    ],
    [
      "an alias import of the request wrapper",
      'import { route } from "@/server/http/route";\nexport const X = route;\n',
    ],
    ["a re-export from the http layer", 'export { toAppError } from "../http/error-response";\n'],
    ["an import of the route table", 'import { TABLE } from "../api/table";\nexport const X = TABLE;\n'],
  ])("fails lint for %s in a domain file", async (_what, code) => {
    const errors = await boundaryErrors("src/server/tickets/boundary-probe.ts", code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("Domain code must not import the transport layer");
  });

  it("applies to every domain folder, not only tickets", async () => {
    const code = 'import type { Ctx } from "../http/route";\nexport type X = Ctx;\n';
    for (const file of [
      "src/server/users/probe.ts",
      "src/server/auth/probe.ts",
      "src/server/sla/probe.ts",
      "src/server/jobs/probe.ts",
    ]) {
      expect(await boundaryErrors(file, code), file).toHaveLength(1);
    }
  });

  it("lets the domain import core, and the transport layer import itself and the domain", async () => {
    expect(
      await boundaryErrors(
        "src/server/tickets/boundary-probe.ts",
        'import type { Scope } from "../core/scope";\nexport type X = Scope;\n',
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        "src/server/http/boundary-probe.ts",
        'import type { Ctx } from "./route";\nexport type X = Ctx;\n',
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        "src/server/api/boundary-probe.ts",
        'import { route } from "../http/route";\nimport { getTicket } from "../tickets/get-ticket";\nexport const X = [route, getTicket];\n',
      ),
    ).toEqual([]);
  });
});

describe("unsafe naming rule: unsafeWithSystem only inside a function named unsafe…", () => {
  const file = "src/server/observability/naming-probe.ts";
  const head = 'import { unsafeWithSystem } from "../db/tenant";\n';

  it("fails lint for a system transaction opened in an ordinarily named function", async () => {
    const errors = await ruleErrors(
      "no-restricted-syntax",
      file,
      `${head}export async function scrapeAll() {\n  return unsafeWithSystem(async (tx) => tx);\n}\n`,
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("unsafeWithSystem (no tenant scope) may be called only inside a function named unsafe");
  });

  it("fails lint for one in a callback of an ordinarily named function", async () => {
    const code = `${head}export async function everyOrg(ids: string[]) {\n  return Promise.all(ids.map(() => unsafeWithSystem(async (tx) => tx)));\n}\n`;
    expect(await ruleErrors("no-restricted-syntax", file, code)).toHaveLength(1);
  });

  it("passes a function declaration, an arrow or a method named unsafe…", async () => {
    const code =
      `${head}export async function unsafeCounts() {\n  return unsafeWithSystem(async (tx) => tx);\n}\n` +
      "export const unsafeLag = () => unsafeWithSystem(async (tx) => tx);\n" +
      "export class Probe {\n  unsafeRead() {\n    return unsafeWithSystem(async (tx) => tx);\n  }\n}\n";
    expect(await ruleErrors("no-restricted-syntax", file, code)).toEqual([]);
  });
});
