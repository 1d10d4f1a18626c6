import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

// The boundary rule in eslint.config.mjs (docs/decisions/033): the domain takes a Scope and never
// imports the transport layer. Linted through ESLint's own API with the project's config, on
// snippets placed (virtually) where the rule must and must not apply.
const eslint = new ESLint({ cwd: path.resolve(import.meta.dirname, "../..") });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.filter((m) => m.ruleId === "no-restricted-imports").map((m) => m.message);
}

describe("boundary rule: the domain does not import src/server/http or src/server/api", () => {
  it.each([
    ["a relative type import of the request context", 'import type { Ctx } from "../http/route";\nexport type X = Ctx;\n'],
    ["an alias import of the request wrapper", 'import { route } from "@/server/http/route";\nexport const X = route;\n'],
    ["a re-export from the http layer", 'export { toAppError } from "../http/error-response";\n'],
    ["an import of the route table", 'import { TABLE } from "../api/table";\nexport const X = TABLE;\n'],
  ])("fails lint for %s in a domain file", async (_what, code) => {
    const errors = await boundaryErrors("src/server/tickets/boundary-probe.ts", code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain("Domain code must not import the transport layer");
  });

  it("applies to every domain folder, not only tickets", async () => {
    const code = 'import type { Ctx } from "../http/route";\nexport type X = Ctx;\n';
    for (const file of ["src/server/users/probe.ts", "src/server/auth/probe.ts", "src/server/sla/probe.ts", "src/server/jobs/probe.ts"]) {
      expect(await boundaryErrors(file, code), file).toHaveLength(1);
    }
  });

  it("lets the domain import core, and the transport layer import itself and the domain", async () => {
    expect(await boundaryErrors("src/server/tickets/boundary-probe.ts", 'import type { Scope } from "../core/scope";\nexport type X = Scope;\n')).toEqual([]);
    expect(await boundaryErrors("src/server/http/boundary-probe.ts", 'import type { Ctx } from "./route";\nexport type X = Ctx;\n')).toEqual([]);
    expect(await boundaryErrors("src/server/api/boundary-probe.ts", 'import { route } from "../http/route";\nimport { getTicket } from "../tickets/get-ticket";\nexport const X = [route, getTicket];\n')).toEqual([]);
  });
});
